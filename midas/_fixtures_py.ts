/**
 * Python (zarr-python 2, Debian python3-zarr) scripts that write and read reference archives for
 * the cross-check tests. Test-only.
 *
 * @example
 * ```ts
 * import { WRITE_FIXTURES_PY } from "./_fixtures_py.ts";
 * WRITE_FIXTURES_PY.includes("ZipStore"); // true
 * ```
 * @module
 */

/** Writes reference zips into argv[1]; frame values follow `testFrame` in `_test_util.ts`. */
export const WRITE_FIXTURES_PY = `
import sys, os, zipfile, shutil, warnings
import numpy as np, zarr, numcodecs
out = sys.argv[1]
nF, nZ, nY = 3, 48, 64
def frames(dtype, scale=1.0):
    f, z, y = np.meshgrid(np.arange(nF), np.arange(nZ), np.arange(nY), indexing="ij")
    return (((f * 1000 + z * 10 + y) * scale) % 60000).astype(dtype)
def build(name, dtype, comp, chunks=(1, nZ, nY), scale=1.0):
    st = zarr.ZipStore(os.path.join(out, name), mode="w")
    root = zarr.group(store=st)
    ex = root.create_group("exchange")
    ex.create_dataset("data", data=frames(dtype, scale), chunks=chunks, compressor=comp)
    ex.create_dataset("dark", data=np.full((2, nZ, nY), 3, dtype=dtype), chunks=(1, nZ, nY), compressor=comp)
    m = np.zeros((1, nZ, nY), dtype=dtype); m[0, 5, 7] = 1
    ex.create_dataset("mask", data=m)
    sp = root.create_group("measurement/process/scan_parameters")
    sp.create_dataset("start", data=np.array([180.0]))
    sp.create_dataset("step", data=np.array([-0.25]))
    sp.create_dataset("datatype", data=np.bytes_(np.dtype(dtype).name))
    sp.create_dataset("doPeakFit", data=np.array([1], dtype=np.int32))
    ap = root.create_group("analysis/process/analysis_parameters")
    for k, v in dict(YCen=30.5, ZCen=20.25, Lsd=1e6, PixelSize=200.0, Wavelength=0.22291, tx=0.0, ty=0.1,
                     tz=-0.2, Width=1500.0, RhoD=204800.0, p0=1e-4).items():
        ap.create_dataset(k, data=np.array([v], dtype=np.float64))
    for k, v in dict(SpaceGroup=225, SkipFrame=1, Padding=6, MinNrPx=3).items():
        ap.create_dataset(k, data=np.array([v], dtype=np.int32))
    ap.create_dataset("ImTransOpt", data=np.array([0], dtype=np.int32))
    ap.create_dataset("RingThresh", data=np.array([[1, 10], [2, 20]], dtype=np.float64))
    ap.create_dataset("LatticeParameter", data=np.array([4.08, 4.08, 4.08, 90, 90, 90], dtype=np.float64))
    ap.create_dataset("ResultFolder", data=np.array([b"/tmp/result"]))
    st.close()
B = numcodecs.Blosc
build("blosc_zstd_bit_u2.zip", "<u2", B(cname="zstd", clevel=1, shuffle=B.BITSHUFFLE))
build("blosc_lz4_shuf_f4.zip", "<f4", B(cname="lz4", clevel=5, shuffle=B.SHUFFLE), scale=0.5)
build("zstd_u2.zip", "<u2", numcodecs.Zstd(level=3))
build("lz4_f4.zip", "<f4", numcodecs.LZ4(), scale=0.5)
build("none_u2.zip", "<u2", None)
build("blosc_u4_tiles.zip", "<u4", B(cname="zstd", clevel=3, shuffle=B.BITSHUFFLE), chunks=(1, 16, 32))
build("blosc_i4.zip", "<i4", B(cname="zstd", clevel=3, shuffle=B.BITSHUFFLE))
build("blosc_f8.zip", "<f8", B(cname="lz4", clevel=5, shuffle=B.SHUFFLE), scale=0.5)
# Deflated re-pack (what 'zip -u' leaves behind) and a duplicate entry (last one wins).
src = os.path.join(out, "blosc_zstd_bit_u2.zip")
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(os.path.join(out, "deflated_u2.zip"), "w", zipfile.ZIP_DEFLATED) as zo:
    for i in zi.infolist():
        zo.writestr(i.filename, zi.read(i.filename))
shutil.copy(src, os.path.join(out, "duplicate_u2.zip"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with zipfile.ZipFile(os.path.join(out, "duplicate_u2.zip"), "a") as z:
        z.writestr("analysis/process/analysis_parameters/SpaceGroup/0",
                   B(cname="lz4").encode(np.array([229], dtype=np.int32)))
print("ok")
`;

/** Reads a zip written by us with zarr's ZipStore and prints a JSON summary on stdout. */
export const READ_ZIP_PY = `
import sys, json, zipfile
import numpy as np, zarr
path = sys.argv[1]
z = zarr.open(zarr.ZipStore(path, mode="r"), mode="r")
d = z["exchange/data"]
out = {"shape": list(d.shape), "chunks": list(d.chunks), "dtype": d.dtype.str,
       "compressor": d.compressor.get_config(), "frames": d[:].ravel().tolist(),
       "dark": z["exchange/dark"][:].ravel().tolist(), "params": {}, "scan": {}}
if "exchange/mask" in z: out["mask"] = z["exchange/mask"][:].ravel().tolist()
if "exchange/flood" in z: out["flood"] = z["exchange/flood"][:].ravel().tolist()
for g, key in (("analysis/process/analysis_parameters", "params"), ("measurement/process/scan_parameters", "scan")):
    for k, a in z[g].arrays():
        v = a[()]
        out[key][k] = {"dtype": a.dtype.str, "shape": list(a.shape),
                       "value": v.decode() if isinstance(v, bytes) else [x.decode() for x in v.ravel()] if a.dtype.kind == "S" else v.ravel().tolist(),
                       "compressor": a.compressor.get_config()["id"] if a.compressor else None}
with zipfile.ZipFile(path) as zf:
    out["names"] = zf.namelist()
    out["methods"] = sorted(set(i.compress_type for i in zf.infolist()))
    out["testzip"] = zf.testzip()
    t = zf.read("exchange/data/.zarray").decode()
    # Same text zarr-python 2 would write (sorted keys, indent 4): the C tools strstr/sscanf it.
    out["zarray_like_zarr"] = t == json.dumps(json.loads(t), indent=4, sort_keys=True, ensure_ascii=True, separators=(",", ": "))
print(json.dumps(out))
`;
