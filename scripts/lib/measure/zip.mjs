// @ts-check
/**
 * Reads the entries of a zip file (what `sls package` writes) without an
 * unzip binary: enough to list sizes and read a bundle back in tests.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

/**
 * @typedef {{ name: string, size: number, compressedSize: number, read: () => Buffer }} ZipEntry
 */

/**
 * The entries of the zip at `file`, from its central directory.
 * @param {string} file
 * @returns {ZipEntry[]}
 */
export function readZip(file) {
  const data = readFileSync(file);
  // End of central directory: signature 0x06054b50 within the last 64 KB + 22 bytes.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 65_557); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = data.readUInt16LE(eocd + 10);
  let offset = data.readUInt32LE(eocd + 16);
  /** @type {ZipEntry[]} */
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (data.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = data.readUInt16LE(offset + 10);
    const compressedSize = data.readUInt32LE(offset + 20);
    const size = data.readUInt32LE(offset + 24);
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    const local = data.readUInt32LE(offset + 42);
    const name = data.toString('utf8', offset + 46, offset + 46 + nameLength);
    const read = () => {
      const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
      const raw = data.subarray(start, start + compressedSize);
      return method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
    };
    entries.push({ name, size, compressedSize, read });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
