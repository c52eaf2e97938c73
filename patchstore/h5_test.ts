import { hasPython, PYTHON } from "../tests/python.ts";
import { createPatchstore } from "./create.ts";
import { loadPatchstore, PatchstoreReader, PatchstoreWriter } from "./h5.ts";
import {
  defaultSynthesisConfig,
  PEAK_PARAM_NAMES,
  planSynthesis,
  type SynthesisConfig,
  synthesizePatch,
} from "./synthesis.ts";
import { syntheticPeakbank } from "./testdata.ts";
import { assert, assertRejects } from "./test_assert.ts";

const cfgOf = (over: Partial<SynthesisConfig> = {}) =>
  defaultSynthesisConfig({
    Ypx_BC: 1024,
    Zpx_BC: 1024,
    nPatch: 8,
    cvsz: 28,
    pSepMax: 8,
    nPeak: [1, 2, 3],
    midasIthresh: 5,
    seed: 3,
    ...over,
  });

function bytes(x: ArrayBufferView): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = bytes(a), y = bytes(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pst_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("patchstore HDF5: written patches read back identically, by index and in bulk", async () => {
  await withDir(async (dir) => {
    const cfg = cfgOf();
    const path = `${dir}/pst.h5`;
    const pb = syntheticPeakbank();
    let progressed = 0;
    const stats = await createPatchstore(pb, cfg, path, {
      batchSize: 3,
      progressEvery: 2,
      onProgress: (d) => (progressed = d),
    });
    assert(progressed === cfg.nPatch, "final progress reported");
    assert(stats.written + stats.blank === cfg.nPatch && stats.written > 0, JSON.stringify(stats));
    const expected = Array.from(
      { length: cfg.nPatch },
      (_, i) => synthesizePatch(planSynthesis(pb, cfg), i),
    )
      .filter((p) => p !== null);
    const r = await PatchstoreReader.open(path);
    try {
      assert(
        r.count === expected.length && r.factors.join() === "1,2,4,8" && r.lrsz === 20,
        `${r.count} ${r.factors}`,
      );
      assert(r.maxPeaks === 3 && r.channels === 3, "maxPeaks/channels");
      for (const i of [0, r.count - 1]) {
        cfg.srfacAll.forEach((s, j) =>
          assert(sameBytes(r.readPatch(i, s), expected[i]!.levels[j]), `patch ${i} SRx${s}`)
        );
      }
      const info = r.readPatchInfo();
      assert(
        info.nPeaks[0] === expected[0]!.peaks.nPeaks && info.Y00[1] === expected[1]!.Y00,
        "patchInfo",
      );
      assert(Math.abs(info.ISum[0] - expected[0]!.peaks.iSum) < 1e-9, "ISum");
      const pp = r.readPeakParams();
      assert(
        PEAK_PARAM_NAMES.every((k) => pp[k]?.length === r.count * 3),
        "peaksParameters shapes",
      );
      assert(pp.peakPointer[0] === expected[0]!.peaks.params.peakPointer[0], "peakPointer");
      const loc = r.readPeakLocs(8);
      assert(loc.Ypx[0] === Math.fround(expected[0]!.locY[3][0]), "peaksLocInPatch");
      const args = r.readCreationArgs();
      assert(
        args.srfacAll === "1-2-4-8" && args.seed === 3 && args.varR === 2,
        JSON.stringify(args),
      );
      await assertRejects(() => r.readPatch(r.count, 1), /patch range/);
      await assertRejects(() => r.readPatch(0, 16), /no level SRx16/);
    } finally {
      r.close();
    }
    const all = await loadPatchstore(path);
    assert(all.patchArr.SRx8.shape.join() === `${expected.length},3,160,160`, "SRx8 shape");
    assert(
      sameBytes(all.patchArr.SRx2.data.subarray(3 * 40 * 40, 6 * 40 * 40), expected[1]!.levels[1]),
      "bulk = per patch",
    );
    assert(
      all.patchInfo && all.peakParams && all.peaksLocInPatch?.SRx4 && all.pstCreationArgs,
      "all parts",
    );
    const only = await loadPatchstore(path, { onlyPatchArrays: true });
    assert(only.patchInfo === undefined && only.patchArr.SRx1, "onlyPatchArrays");
  });
});

Deno.test("patchstore HDF5: same seed → byte-identical files (at any time of day), different seed differs", async () => {
  await withDir(async (dir) => {
    const pb = syntheticPeakbank();
    await createPatchstore(pb, cfgOf({ srfacAll: [1, 4] }), `${dir}/a.h5`);
    // An hour later: HDF5 would stamp its objects with another time (the next step's key changes).
    const now = Date.now;
    Date.now = () => now() + 3_600_000;
    try {
      await createPatchstore(pb, cfgOf({ srfacAll: [1, 4] }), `${dir}/b.h5`);
    } finally {
      Date.now = now;
    }
    assert(
      sameBytes(await Deno.readFile(`${dir}/a.h5`), await Deno.readFile(`${dir}/b.h5`)),
      "the same patchstore file, byte for byte",
    );
    await createPatchstore(pb, cfgOf({ srfacAll: [1, 4], seed: 4 }), `${dir}/c.h5`);
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((n) => loadPatchstore(`${dir}/${n}.h5`)),
    );
    for (const k of ["SRx1", "SRx4"]) {
      assert(sameBytes(a.patchArr[k].data, b.patchArr[k].data), `${k} identical`);
      assert(!sameBytes(a.patchArr[k].data, c.patchArr[k].data), `${k} differs with another seed`);
    }
    for (const k of PEAK_PARAM_NAMES) {
      assert(sameBytes(a.peakParams![k], b.peakParams![k]), `${k} identical`);
    }
  });
});

Deno.test("patchstore HDF5: failures leave no partial or temporary file", async () => {
  await withDir(async (dir) => {
    const pb = syntheticPeakbank();
    await assertRejects(
      () => createPatchstore(pb, cfgOf(), `${dir}/missing/pst.h5`),
      /patchstore .*missing\/pst\.h5: cannot create output file/,
    );
    // Infeasible separations fail mid-run; a pre-existing target must survive untouched.
    await Deno.writeTextFile(`${dir}/pst.h5`, "old");
    await assertRejects(
      () =>
        createPatchstore(
          pb,
          cfgOf({ nPeak: [4], pSepMin: 9, pSepMax: 10, varR: 3, maxTries: 500 }),
          `${dir}/pst.h5`,
        ),
      /could not place 4 peaks/,
    );
    await assertRejects(
      () => createPatchstore(pb, cfgOf({ midasIthresh: 1e9 }), `${dir}/pst.h5`),
      /no patches to write/,
    );
    const ac = new AbortController();
    ac.abort();
    await assertRejects(
      () => createPatchstore(pb, cfgOf(), `${dir}/pst.h5`, { signal: ac.signal }),
      /abort/i,
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert(names.join() === "pst.h5", `left behind: ${names.join()}`);
    assert(Deno.readTextFileSync(`${dir}/pst.h5`) === "old", "target untouched");
    await assertRejects(() => PatchstoreReader.open(`${dir}/nope.h5`), /nope\.h5: cannot open/);
    const w = await PatchstoreWriter.create(`${dir}/w.h5`, { factors: [1], lrsz: 20, maxPeaks: 1 });
    w.abort();
    assert(
      ![...Deno.readDirSync(dir)].some((e) => e.name.includes("w.h5")),
      "abort removes the temp file",
    );
  });
});

Deno.test("patchstore HDF5: h5py reads every dataset with the documented shapes and dtypes", async () => {
  const py = PYTHON;
  if (!(await hasPython("h5py"))) return;
  await withDir(async (dir) => {
    const path = `${dir}/pst.h5`;
    const cfg = cfgOf({ nPatch: 4, nPeak: [1, 2] });
    const stats = await createPatchstore(syntheticPeakbank(), cfg, path);
    const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        out[name] = [list(obj.shape), str(obj.dtype), list(obj.chunks) if obj.chunks else None]
f.visititems(visit)
out["_info"] = [[int(r["nPeaks"]), float(r["ISum"])] for r in f["patchInfo"][:]]
out["_args"] = {k: (f["pstCreationArgs"][k][()].decode() if isinstance(f["pstCreationArgs"][k][()], bytes) else repr(f["pstCreationArgs"][k][()].item())) for k in f["pstCreationArgs"]}
out["_max"] = float(f["patchArr/SRx8"][:, 0].max())
try:
    import pandas as pd  # sr-midas load_patchstore_h5data builds a DataFrame from /patchInfo
    out["_df"] = list(pd.DataFrame(f["patchInfo"][:]).columns)
except ImportError:
    out["_df"] = ["nPeaks", "ISum", "Y00", "Z00"]
print(json.dumps(out))
`;
    const res = await new Deno.Command(py, { args: ["-c", script, path] }).output();
    assert(res.success, new TextDecoder().decode(res.stderr));
    const o = JSON.parse(new TextDecoder().decode(res.stdout));
    const N = stats.written;
    for (const s of [1, 2, 4, 8]) {
      const n = 20 * s;
      assert(
        JSON.stringify(o[`patchArr/SRx${s}`]) ===
          JSON.stringify([[N, 3, n, n], "float32", [1, 3, n, n]]),
        `SRx${s}: ${o[`patchArr/SRx${s}`]}`,
      );
      for (const a of ["Ypx", "Zpx"]) {
        assert(
          JSON.stringify(o[`peaksLocInPatch/SRx${s}/${a}`]?.slice(0, 2)) ===
            JSON.stringify([[N, 2], "float32"]),
          `loc ${s} ${a}`,
        );
      }
    }
    for (const k of PEAK_PARAM_NAMES) {
      assert(
        JSON.stringify(o[`peaksParameters/${k}`]?.slice(0, 2)) ===
          JSON.stringify([[N, 2], "float32"]),
        `param ${k}`,
      );
    }
    assert(
      o.patchInfo[0][0] === N && o.patchInfo[1].includes("nPeaks") &&
        o.patchInfo[1].includes("<i8"),
      `patchInfo ${o.patchInfo}`,
    );
    assert(o._info.length === N && o._info[0][0] >= 1, "compound rows");
    assert(
      o._args.srfacAll === "1-2-4-8" && o._args.nPatch === "4" && o._args.varR === "2.0" &&
        o._args.peakImax === "inf",
      JSON.stringify(o._args),
    );
    assert(o._max === 1, `intensity channel max ${o._max}`);
    assert(o._df.join() === "nPeaks,ISum,Y00,Z00", `patchInfo DataFrame columns ${o._df}`);
  });
});

Deno.test("patchstore HDF5: 2 workers write the same bytes as 1 thread", async () => {
  await withDir(async (dir) => {
    const pb = syntheticPeakbank();
    const cfg = cfgOf({ nPatch: 10, srfacAll: [1, 8] });
    await createPatchstore(pb, cfg, `${dir}/one.h5`);
    let last = 0;
    await createPatchstore(pb, cfg, `${dir}/two.h5`, {
      threads: 2,
      progressEvery: 3,
      onProgress: (d) => (last = d),
    });
    const [a, b] = await Promise.all([
      loadPatchstore(`${dir}/one.h5`),
      loadPatchstore(`${dir}/two.h5`),
    ]);
    assert(last === 10, "progress");
    assert(sameBytes(a.patchArr.SRx8.data, b.patchArr.SRx8.data), "SRx8 identical");
    assert(sameBytes(a.peakParams!.Ypx, b.peakParams!.Ypx), "Ypx identical");
    await assertRejects(
      () =>
        createPatchstore(
          pb,
          cfgOf({ nPeak: [4], pSepMin: 9, pSepMax: 10, varR: 3, maxTries: 300 }),
          `${dir}/bad.h5`,
          { threads: 2 },
        ),
      /could not place 4 peaks/,
    );
    assert(
      ![...Deno.readDirSync(dir)].some((e) => e.name.includes("bad.h5")),
      "no partial file after a worker error",
    );
  });
});
