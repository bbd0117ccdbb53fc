/**
 * Where the commands get a folded model and its data from: a float model file (.bnn,
 * folded on the fly) or an already folded one (.bnnf), and the check that a dataset
 * split fits the model.
 */
import path from 'node:path';
import type { Dataset } from '../data/types.js';
import { InputError } from '../errors.js';
import { loadModel, modelHash } from '../graph/io.js';
import type { Model } from '../graph/types.js';
import { foldModel } from './fold.js';
import { loadFolded } from './serialize.js';
import type { FoldedModel } from './types.js';

export interface FoldedSource {
  folded: FoldedModel;
  /** The float model, when the file was one (.bnn). */
  model: Model | null;
}

/** Load `file`: a .bnnf is read as folded, anything else as a float model and folded. */
export function loadAsFolded(file: string): FoldedSource {
  if (path.extname(file).toLowerCase() === '.bnnf') return { folded: loadFolded(file), model: null };
  const model = loadModel(file);
  return { folded: foldModel(model, modelHash(model)), model };
}

/** Throws an InputError unless the dataset's images and labels fit the model. */
export function checkDatasetFits(ds: Dataset, f: FoldedModel): void {
  const [h, w, c] = f.input;
  if (ds.height !== h || ds.width !== w || ds.channels !== c) {
    throw new InputError(ds.name, 'image shape', `${h}x${w}x${c} (model ${f.name})`, `${ds.height}x${ds.width}x${ds.channels}`);
  }
  if (ds.classes > f.classes) {
    throw new InputError(ds.name, 'classes', `at most ${f.classes} (model ${f.name})`, String(ds.classes));
  }
}
