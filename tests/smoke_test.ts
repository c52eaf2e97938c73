import * as ort from "onnxruntime-node";
import * as zarr from "zarrita";
import ZipFileStore from "@zarrita/storage/zip";
import h5wasm from "h5wasm/node";
import YAML from "yaml";
import { Command } from "@commander-js/extra-typings";
Deno.test("deps load", async () => {
  await h5wasm.ready;
  console.log(
    ort.env.versions,
    typeof zarr.open,
    typeof ZipFileStore,
    typeof YAML.parse,
    typeof Command,
  );
});
