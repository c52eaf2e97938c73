/**
 * The SR cascade of the `process` step (sr-midas-seed §10.3 step 7): models chained from the
 * detector patches (SRx1) up to SRx`srfac`, run in batches over patches gathered from several
 * frames. Each stage's input is its source level replicated and max-normalized (nn `runStage`);
 * the **final** level of every patch is rescaled so that it sums to the raw patch sum, for every
 * srfac (sr-midas only rescaled SRx8, §12 item 4), so intensities come out in detector counts.
 *
 * The chain is read from the model cards: the model for SRx`s` (`mods_to_use.SRx{s}`) declares its
 * `srfacIn`, which names the level it needs next (x4_x8 needs SRx4; x1_x8 needs only SRx1).
 * Everything is checked before the first frame: model folders exist, `srfacOut` equals the
 * level, inputs are intensity-only.
 *
 * @example
 * ```ts
 * import { loadCascade, runCascade } from "./cascade.ts";
 * import { loadSrConfig } from "./sr_config.ts";
 * const cascade = await loadCascade(await loadSrConfig(), 2, { overrideDir: "my_models" });
 * const sr = await runCascade(cascade, new Float64Array(3 * 400), 3, 20); // 3 patches → 3×40×40
 * await cascade.release();
 * ```
 * @module
 */
import { type OpenedModel, openModel, runStage } from "../nn/io/load_model.ts";
import { type Level, resolveModelDirs, type SrConfig } from "./sr_config.ts";

/** One stage: `level` = SRx`srfacOut`, fed from SRx`srfacIn`. */
export interface CascadeStage {
  level: Level;
  model: OpenedModel;
  dir: string;
}

/** A loaded cascade, stages in execution order. */
export interface Cascade {
  srfac: number;
  stages: CascadeStage[];
  release(): Promise<void>;
}

/** Options of {@link loadCascade}. */
export interface LoadCascadeOptions {
  configDir?: string;
  overrideDir?: string;
  bundledDir?: string;
  threads?: number;
  /** Patches per ORT batch cap (config `batch_size`). */
  maxBatch?: number;
}

/** Opens every model needed for SRx`srfac` and checks the chain (see module doc). */
export async function loadCascade(
  cfg: SrConfig,
  srfac: number,
  opts: LoadCascadeOptions = {},
): Promise<Cascade> {
  if (![2, 4, 8].includes(srfac)) {
    throw new Error(`loadCascade: srfac must be 2, 4 or 8, got ${srfac}`);
  }
  const stages: CascadeStage[] = [];
  const release = async () => {
    for (const s of stages) await s.model.predictor.release();
  };
  try {
    let level = srfac;
    while (level > 1) {
      const l = `SRx${level}` as Level;
      const dir = (await resolveModelDirs(cfg, [l], opts)).get(l)!;
      // mod_itr names the checkpoint of an sr-midas model dir; an exported model has one.
      const model = await openModel(dir, {
        threads: opts.threads,
        maxBatch: opts.maxBatch,
        itr: cfg.mods_to_use[l as "SRx2" | "SRx4" | "SRx8"]?.mod_itr,
      });
      stages.unshift({ level: l, model, dir });
      if (model.srfacOut !== level) {
        throw new Error(
          `${model.source}: model factor mismatch: mods_to_use.${l} must produce SRx${level}, this model produces SRx${model.srfacOut} (from SRx${model.srfacIn})`,
        );
      }
      if (model.srfacIn >= level || ![1, 2, 4].includes(model.srfacIn)) {
        throw new Error(`${model.source}: srfacIn ${model.srfacIn} cannot feed SRx${level}`);
      }
      if (model.channels.length !== 1) {
        throw new Error(
          `${model.source}: channels ${
            model.channels.join(",")
          }: the process step feeds intensity only (R/Eta-channel models are not supported, sr-midas §12 item 13)`,
        );
      }
      level = model.srfacIn;
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { srfac, stages, release };
}

/** Result of {@link runCascade}: the final level plus every level computed on the way. */
export interface CascadeOutput {
  /** [n, (lr·srfac)²], scaled to the raw patch sums. */
  final: Float64Array;
  /** Raw sigmoid outputs per level (for `saveSRpatches`), float32 [n, (lr·s)²]. */
  levels: Map<number, Float32Array>;
}

/**
 * Runs the cascade on `n` raw patches ([n, lr, lr] float64, corrected counts). Returns the
 * final level rescaled per patch so Σ = Σ raw patch (a zero output stays zero).
 */
export async function runCascade(
  cascade: Cascade,
  patches: Float64Array,
  n: number,
  lr: number,
): Promise<CascadeOutput> {
  if (patches.length !== n * lr * lr) {
    throw new Error(`runCascade: patches has ${patches.length} values, expected ${n}·${lr}·${lr}`);
  }
  const levels = new Map<number, Float32Array>();
  levels.set(1, Float32Array.from(patches));
  for (const st of cascade.stages) {
    const src = levels.get(st.model.srfacIn)!;
    const size = lr * st.model.srfacIn;
    const out = n === 0 ? new Float32Array(0) : await runStage(st.model, src, n, 1, size);
    levels.set(st.model.srfacOut, out);
  }
  const s = cascade.srfac, m = (lr * s) ** 2;
  const top = levels.get(s)!;
  const final = new Float64Array(n * m);
  for (let p = 0; p < n; p++) {
    let raw = 0, sum = 0;
    for (let i = 0; i < lr * lr; i++) raw += patches[p * lr * lr + i];
    for (let i = 0; i < m; i++) sum += top[p * m + i];
    const k = sum > 0 ? raw / sum : 0;
    for (let i = 0; i < m; i++) final[p * m + i] = top[p * m + i] * k;
  }
  levels.delete(1);
  return { final, levels };
}
