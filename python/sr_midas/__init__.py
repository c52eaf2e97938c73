"""sr-midas's entry points, served by srmidas (https://…/srmidas): no PyTorch, no models here.

The real work runs in the srmidas CLI (Deno/ONNX); this package only translates sr-midas's Python
calls and console scripts into srmidas commands.
"""
from ._run import SrmidasError, srmidas_command  # noqa: F401

__version__ = "0.1.2"
