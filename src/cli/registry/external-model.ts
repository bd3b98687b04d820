import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BadInputError } from "../../errors/index.js";

/** Checks the files of a bring-your-own model and copies them into a temporary folder to upload. */
export function stageExternalModel(modelFile: string, featuresFile?: string): string {
  const model = readJsonFile(modelFile, "--model-file");
  if (!model || typeof model !== "object" || !("learner" in model)) {
    throw new BadInputError(
      "not an XGBoost JSON model (no \"learner\" object); save it with Booster.save_model('model.json')",
      {
        file: modelFile,
      },
    );
  }
  if (featuresFile) readJsonFile(featuresFile, "--features");
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-register-"));
  cpSync(modelFile, path.join(dir, "model.json"));
  if (featuresFile) cpSync(featuresFile, path.join(dir, "features.json"));
  return dir;
}

function readJsonFile(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read ${flag} file (${(err as NodeJS.ErrnoException).code ?? err})`, {
      file,
    });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`invalid JSON: ${(err as Error).message}`, { file });
  }
}
