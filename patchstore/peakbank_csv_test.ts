import {
  formatPeakbankCsv,
  makePeakbank,
  parsePeakbankCsv,
  readPeakbankCsv,
  requireColumns,
  SOURCE_DIR_COLUMN,
  writePeakbankCsv,
} from "./peakbank_csv.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}
function assertThrows(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!re.test(m)) throw new Error(`error "${m}" does not match ${re}`);
    return;
  }
  throw new Error(`expected an error matching ${re}`);
}

Deno.test("peakbank CSV: round trip keeps text, numbers, NaN and quoting", () => {
  const pb = makePeakbank({
    SpotID: [1, 2],
    error_reconstruction: [0.1, NaN],
    frame_id: ["000003", "000010"],
    "Radius(px)": [512.25, 600],
    [SOURCE_DIR_COLUMN]: ["/data/a,b", 'say "hi"'],
  });
  const text = formatPeakbankCsv(pb);
  assert(text.startsWith(",SpotID,error_reconstruction,frame_id,"), "leading index column");
  assert(text.split("\n")[1].startsWith("0,1,0.1,000003,512.25,"), `row 0: ${text}`);
  const back = parsePeakbankCsv(text, "x.csv");
  assert(back.length === 2, "length");
  assert(back.text.frame_id[0] === "000003", "frame_id keeps zero padding");
  assert(back.text[SOURCE_DIR_COLUMN][0] === "/data/a,b", "quoted comma");
  assert(back.text[SOURCE_DIR_COLUMN][1] === 'say "hi"', "escaped quote");
  assert(Number.isNaN(back.numeric.error_reconstruction[1]), "NaN round trip");
  assert(formatPeakbankCsv(back) === text, "format ∘ parse is the identity");
});

Deno.test("peakbank CSV: reads a pandas-style file with CRLF and nan", () => {
  const pb = parsePeakbankCsv(",SpotID,IMax\r\n0,1,nan\r\n1,2,3.5e2\r\n", "p.csv");
  assert(
    pb.length === 2 && Number.isNaN(pb.numeric.IMax[0]) && pb.numeric.IMax[1] === 350,
    "values",
  );
});

Deno.test("peakbank CSV: bad input gives errors naming file, line and column", () => {
  assertThrows(() => parsePeakbankCsv("", "e.csv"), /e\.csv: empty file/);
  assertThrows(
    () => parsePeakbankCsv(",a,b\n0,1\n", "f.csv"),
    /f\.csv: line 2 has 2 fields, expected 3/,
  );
  assertThrows(
    () => parsePeakbankCsv(",IMax\n0,abc\n", "g.csv"),
    /g\.csv: line 2, column "IMax": expected a number, got "abc"/,
  );
  assertThrows(() => parsePeakbankCsv(",a,a\n", "h.csv"), /duplicate column "a"/);
  const pb = parsePeakbankCsv(",IMax\n0,1\n", "i.csv");
  assertThrows(
    () => requireColumns(pb, undefined, "i.csv"),
    /i\.csv: missing required column\(s\) "error_reconstruction"/,
  );
});

Deno.test("peakbank CSV: file write is atomic and readable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const p = `${dir}/pb.csv`;
    await writePeakbankCsv(p, makePeakbank({ IMax: [1, 2, 3] }));
    const pb = await readPeakbankCsv(p);
    assert(pb.numeric.IMax[2] === 3, "read back");
    let threw = false;
    try {
      await writePeakbankCsv(`${dir}/missing/pb.csv`, pb);
    } catch (e) {
      threw = /cannot write/.test((e as Error).message);
    }
    assert(threw, "unwritable path must throw a clear error");
    assert([...Deno.readDirSync(dir)].length === 1, "no temp file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("peakbank CSV: pandas reads ours and we read pandas' to_csv (skipped without pandas)", async () => {
  const py = "/usr/bin/python3";
  const probe = await new Deno.Command(py, {
    args: ["-c", "import pandas"],
    stderr: "null",
    stdout: "null",
  })
    .output().catch(() => null);
  if (!probe?.success) {
    console.log("skipped: /usr/bin/python3 with pandas not available");
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    await writePeakbankCsv(
      `${dir}/ours.csv`,
      makePeakbank({
        SpotID: [1, 2],
        error_reconstruction: [0.25, NaN],
        frame_id: ["000003", "000004"],
        "Radius(px)": [512.5, 600],
        [SOURCE_DIR_COLUMN]: ["/x,y", "/z"],
      }),
    );
    const script = `
import pandas as pd, sys, json
df = pd.read_csv(sys.argv[1] + "/ours.csv")
print(json.dumps([list(df.columns), float(df["Radius(px)"][0]), bool(df["error_reconstruction"].isna()[1]), df["SourceDir"][0]]))
pd.DataFrame({"SpotID": [7], "error_reconstruction": [0.5], "frame_id": ["000009"], "IMax": [float("nan")]}).to_csv(sys.argv[1] + "/theirs.csv")
`;
    const res = await new Deno.Command(py, { args: ["-c", script, dir] }).output();
    assert(res.success, new TextDecoder().decode(res.stderr));
    const [cols, r0, isNa, src] = JSON.parse(new TextDecoder().decode(res.stdout));
    assert(
      cols.join() ===
        `Unnamed: 0,SpotID,error_reconstruction,frame_id,Radius(px),${SOURCE_DIR_COLUMN}`,
      cols.join(),
    );
    assert(r0 === 512.5 && isNa === true && src === "/x,y", `${r0} ${isNa} ${src}`);
    const theirs = await readPeakbankCsv(`${dir}/theirs.csv`);
    assert(
      theirs.numeric.SpotID[0] === 7 && theirs.text.frame_id[0] === "000009",
      "read pandas output",
    );
    assert(Number.isNaN(theirs.numeric.IMax[0]), "pandas NaN → NaN");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
