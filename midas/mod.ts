/**
 * MIDAS files: the .MIDAS.zip (zarr v2 in a zip) reader and writer, parameters, hkls.csv, peak tables (_PS.csv, AllPeaks_PS/PX.bin), frame streaming and image transforms.
 * @module
 */
export * from "./zip_reader.ts";
export * from "./zip_writer.ts";
export * from "./params.ts";
export * from "./hkls.ts";
export * from "./peak_table.ts";
export * from "./frame_stream.ts";
export * from "./image_transform.ts";
export * from "./dtype.ts";
export * from "./scan_dir.ts";
