// A document photo made ready for upload: the waiver service takes PDF, JPEG or PNG up to 10 MB, and a phone's
// camera easily gives 5–15 MB (or HEIC). Photos of 4 MB or less go as taken (no needless loss of legibility);
// larger ones, or another image type the browser can decode, are redrawn on a canvas as JPEG with the long side
// at most 2560 px (enough to read an invoice's small print). PDFs go as they are.

export const MAX_BYTES = 10 * 1024 * 1024;
const KEEP_BELOW = 4 * 1024 * 1024;
const MAX_SIDE = 2560;
const QUALITY = 0.85;
const AS_IS = ["image/jpeg", "image/png", "application/pdf"];

// What the donor is told when a file cannot be sent (a sentence, not an API answer).
export class PhotoError extends Error {}

function sizeText(bytes) {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
export { sizeText };

function canvasBlob(canvas) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
}

// → {blob, name, resized}; throws PhotoError.
export async function preparePhoto(file) {
  if (!file || !file.size) {
    throw new PhotoError("文件为空，请重新选择。");
  }
  if (AS_IS.includes(file.type) && (file.size <= KEEP_BELOW || file.type === "application/pdf")) {
    if (file.size > MAX_BYTES) {
      throw new PhotoError(`文件 ${sizeText(file.size)}，超过 10 MB 上限。`);
    }
    return { blob: file, name: file.name || "photo", resized: false };
  }
  if (!file.type.startsWith("image/")) {
    throw new PhotoError("只能上传照片（JPEG、PNG）或 PDF 文件。");
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (_err) {
    throw new PhotoError("无法读取这张照片，请改用 JPEG 或 PNG 格式。");
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const g = canvas.getContext("2d");
  g.fillStyle = "#ffffff";          // a transparent PNG would turn black in a JPEG
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await canvasBlob(canvas);
  if (!blob) {
    throw new PhotoError("照片压缩失败，请重新拍摄。");
  }
  if (blob.size > MAX_BYTES) {
    throw new PhotoError(`照片压缩后仍有 ${sizeText(blob.size)}，超过 10 MB 上限。`);
  }
  const base = (file.name || "photo").replace(/\.[^.]*$/, "") || "photo";
  return { blob, name: `${base}.jpg`, resized: true };
}
