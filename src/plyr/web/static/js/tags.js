// Reading a track's title from the file itself (ID3v2 in mp3, Vorbis comments in FLAC and
// Ogg), so the upload form can fill it in. Only the first bytes are read; anything odd
// gives null and the form falls back to the file name.
const HEAD_BYTES = 256 * 1024;

/** @param {File} file @returns {Promise<string|null>} */
export async function readTitle(file) {
  try {
    const bytes = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
    return id3Title(bytes) ?? flacTitle(bytes) ?? null;
  } catch {
    return null;
  }
}

export function titleFromName(name) {
  return name.replace(/\.[a-z0-9]{2,5}$/i, "").replace(/[_]+/g, " ").trim();
}

const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));
const synchsafe = (b, i) => (b[i] << 21) | (b[i + 1] << 14) | (b[i + 2] << 7) | b[i + 3];
const bigEndian = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];

function id3Title(b) {
  if (ascii(b, 0, 3) !== "ID3") return null;
  const version = b[3];
  const end = Math.min(b.length, 10 + synchsafe(b, 6));
  let i = 10;
  while (i + 10 <= end) {
    const id = ascii(b, i, 4);
    const size = version >= 4 ? synchsafe(b, i + 4) : bigEndian(b, i + 4);
    if (!/^[A-Z0-9]{4}$/.test(id) || size <= 0) return null;
    if (id === "TIT2") return decodeText(b.subarray(i + 11, i + 10 + size), b[i + 10]);
    i += 10 + size;
  }
  return null;
}

function decodeText(bytes, encoding) {
  const label = { 0: "latin1", 1: "utf-16", 2: "utf-16be", 3: "utf-8" }[encoding] ?? "utf-8";
  const text = new TextDecoder(label).decode(bytes).replace(/\0+$/, "").trim();
  return text || null;
}

function flacTitle(b) {
  if (ascii(b, 0, 4) !== "fLaC") return null;
  let i = 4;
  while (i + 4 <= b.length) {
    const last = b[i] & 0x80;
    const type = b[i] & 0x7f;
    const length = (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    if (type === 4) return vorbisTitle(b.subarray(i + 4, i + 4 + length));
    if (last) return null;
    i += 4 + length;
  }
  return null;
}

function vorbisTitle(block) {
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let i = 4 + view.getUint32(0, true); // the vendor string
  const count = view.getUint32(i, true);
  i += 4;
  const utf8 = new TextDecoder("utf-8");
  for (let n = 0; n < count && i + 4 <= block.length; n++) {
    const length = view.getUint32(i, true);
    const comment = utf8.decode(block.subarray(i + 4, i + 4 + length));
    const eq = comment.indexOf("=");
    if (comment.slice(0, eq).toUpperCase() === "TITLE") return comment.slice(eq + 1).trim() || null;
    i += 4 + length;
  }
  return null;
}
