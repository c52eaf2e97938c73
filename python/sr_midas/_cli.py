"""sr-midas's console scripts: each passes its flags, unchanged, to the srmidas step of that name."""
import sys

from ._run import SrmidasError, run


def _main(step):
    def main():
        try:
            sys.exit(run([step] + sys.argv[1:], capture=False))
        except SrmidasError as e:
            sys.stderr.write(f"error: {e}\n")
            sys.exit(2)

    main.__name__ = step.replace("-", "_")
    return main


process = _main("process")
create_peakbank = _main("create-peakbank")
create_patchstore = _main("create-patchstore")
train = _main("train")
hp_optimize = _main("hp-optimize")
predict = _main("predict")
create_pred_pst = _main("create-pred-pst")
