/**
 * workflows/campaign.yaml at toy size (seconds, not an hour), as `--set` overrides: the local
 * campaign test and the Slurm one run the same thing.
 * @module
 */

/** `--set` overrides that shrink the campaign (8 frames, 100 patches, 1 epoch per model). */
export const TOY_CAMPAIGN = [
  "nFrames=8",
  "nPatches=[100]",
  "epochsX2=1",
  "epochsX4=1",
  "epochsX8=1",
  "epochsX1X8=1",
  "epochsSeedX2=1",
  "epochsSeed7X2=1",
];
