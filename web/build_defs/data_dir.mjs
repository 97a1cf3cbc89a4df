// Where tools/setup put the data sets (components/tensor/data_dir.h, same order
// of precedence minus the CLI flag): $WARDEN_DATA_DIR, $XDG_DATA_HOME/warden,
// $HOME/.local/share/warden.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export function dataDir() {
  if (process.env.WARDEN_DATA_DIR) return process.env.WARDEN_DATA_DIR;
  if (process.env.XDG_DATA_HOME) return path.join(process.env.XDG_DATA_HOME, 'warden');
  return path.join(process.env.HOME || os.homedir(), '.local', 'share', 'warden');
}

// A file under the data directory; throws naming it and tools/setup if missing.
export function dataFile(relative) {
  const file = path.join(dataDir(), relative);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run tools/setup`);
  return file;
}

// CLIP's BPE merges, gunzipped.
export function clipMerges() {
  return zlib.gunzipSync(fs.readFileSync(dataFile('clip/bpe_simple_vocab_16e6.txt.gz'))).toString('utf8');
}
