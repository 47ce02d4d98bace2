/**
 * Reading and writing tf.LayersModel files (model.json + binary weight shards) with node:fs, so that
 * a user's trained Keras/TensorFlow.js model loads without @tensorflow/tfjs-node (whose file:// IO
 * handler is the usual way). The format is TensorFlow.js's "layers-model": model.json holds
 * modelTopology and weightsManifest [{paths: [...], weights: [{name, shape, dtype}]}]; the shards
 * are the weights' raw little-endian bytes concatenated in manifest order.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function specBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization;
  const per = q ? BYTES[q.dtype] ?? 4 : BYTES[w.dtype] ?? 4;
  return n * per;
}

/** An IOHandler that loads model.json and its weight files from disk. */
export function fileSystemLoader(modelJson: string): tf.io.IOHandler {
  return {
    load: async (): Promise<tf.io.ModelArtifacts> => {
      if (!existsSync(modelJson)) throw new UserError(`${modelJson}: no such model file (expected a TensorFlow.js model.json)`);
      let json: {
        modelTopology?: unknown;
        weightsManifest?: ManifestGroup[];
        format?: string;
        generatedBy?: string;
        convertedBy?: string | null;
        trainingConfig?: tf.io.TrainingConfig;
        userDefinedMetadata?: Record<string, unknown>;
      };
      try {
        json = JSON.parse(readFileSync(modelJson, 'utf8'));
      } catch (e) {
        throw new UserError(`${modelJson}: not valid JSON (${(e as Error).message})`);
      }
      if (!json.modelTopology) throw new UserError(`${modelJson}: no "modelTopology": not a TensorFlow.js layers model (a graph model or a Keras .h5 needs converting first)`);
      const dir = path.dirname(modelJson);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        const parts = group.paths.map((p) => {
          const f = path.join(dir, p);
          if (!existsSync(f)) throw new UserError(`${modelJson}: weight file "${p}" listed in weightsManifest is missing (looked for ${f})`);
          return readFileSync(f);
        });
        const got = parts.reduce((a, b) => a + b.length, 0);
        const want = group.weights.reduce((a, w) => a + specBytes(w), 0);
        if (got !== want) {
          throw new UserError(`${modelJson}: weight files ${group.paths.join(', ')} hold ${got} bytes but the manifest's weights need ${want}`);
        }
        buffers.push(...parts);
        specs.push(...group.weights);
      }
      const total = buffers.reduce((a, b) => a + b.length, 0);
      const data = new Uint8Array(total);
      let o = 0;
      for (const b of buffers) {
        data.set(b, o);
        o += b.length;
      }
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: specs,
        weightData: data.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      };
    },
  };
}

/** Loads a tf.LayersModel from a model.json path (weights next to it), without tfjs-node. */
export async function loadLayersModelFromFile(modelJson: string): Promise<tf.LayersModel> {
  if (existsSync(modelJson) && statSync(modelJson).isDirectory()) modelJson = path.join(modelJson, 'model.json');
  return tf.loadLayersModel(fileSystemLoader(modelJson));
}

/** An IOHandler that writes model.json and one weights.bin into `dir` (created if needed). */
export function fileSystemSaver(dir: string, weightsFile = 'weights.bin'): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    mkdirSync(dir, { recursive: true });
    const wd = artifacts.weightData;
    const bytes = wd === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : wd);
    writeFileSync(path.join(dir, weightsFile), bytes);
    const json = {
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      trainingConfig: artifacts.trainingConfig,
      weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
    };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: bytes.buffer }) };
  });
}
