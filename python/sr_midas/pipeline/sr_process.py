"""`run_sr_process`, as MIDAS's patched ff_MIDAS.py calls it, run by `srmidas process`.

The peak files land where sr-midas leaves them: `<midasZarrDir>/Temp/*_PS.csv`,
`Temp/AllPeaks_PS.bin`, `Temp/AllPeaks_PX.bin` and `<midasZarrDir>/SR_out/`.
"""
from .._run import run


def run_sr_process(
    midasZarrDir,
    srfac=8,
    SRconfig_path=None,
    saveSRpatches=1,
    saveFrameGoodCoords=1,
    use_gpu=1,
):
    """sr-midas's signature. `use_gpu` is accepted and ignored (srmidas runs its ONNX models on
    the CPU). Raises `sr_midas.SrmidasError` (a RuntimeError) with srmidas's error text."""
    args = ["process", "-midasZarrDir", midasZarrDir, "-srfac", int(srfac)]
    if SRconfig_path not in (None, "", "auto"):
        args += ["-SRconfig", SRconfig_path]
    args += ["-saveSRpatches", int(saveSRpatches), "-saveFrameGoodCoords", int(saveFrameGoodCoords)]
    run(args)


if __name__ == "__main__":  # python -m sr_midas.pipeline.sr_process DIR [-srfac 8] …
    import argparse

    ap = argparse.ArgumentParser(prog="python -m sr_midas.pipeline.sr_process")
    ap.add_argument("midasZarrDir")
    ap.add_argument("-srfac", type=int, default=8)
    ap.add_argument("-SRconfig_path", default=None)
    ap.add_argument("-saveSRpatches", type=int, default=1)
    ap.add_argument("-saveFrameGoodCoords", type=int, default=1)
    ap.add_argument("-use_gpu", type=int, default=1)
    a = ap.parse_args()
    run_sr_process(**vars(a))
