import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GeneratedContent, VirtualFilesystem, fileIdFor, generateFileList, hashChunks } from '../../../main/sim/virtual-fs';

describe('virtual filesystem', () => {
  it('generates the same names, sizes and contents from the same seed', async () => {
    const a = new VirtualFilesystem({ seed: 'same', fileCount: 300, totalBytes: 3_000_000 });
    const b = new VirtualFilesystem({ seed: 'same', fileCount: 300, totalBytes: 3_000_000 });
    expect(b.files()).toEqual(a.files());
    expect(await b.digest()).toBe(await a.digest());
    const other = new VirtualFilesystem({ seed: 'other', fileCount: 300, totalBytes: 3_000_000 });
    expect(await other.digest()).not.toBe(await a.digest());
  });

  it('makes sizes sum exactly to the configured total, including many-GB totals', () => {
    for (const [fileCount, totalBytes] of [
      [1, 0],
      [10, 7],
      [2000, 64 * 1024 * 1024],
      [5000, 3 * 1024 ** 4 + 12345],
    ] as const) {
      const files = generateFileList({ seed: 'sizes', fileCount, totalBytes });
      expect(files).toHaveLength(fileCount);
      expect(files.reduce((s, f) => s + f.size, 0)).toBe(totalBytes);
      expect(files.every((f) => f.size >= 0 && Number.isSafeInteger(f.size))).toBe(true);
    }
  });

  it('spreads files over realistic domains with unique fileIDs = sha1(domain-relativePath)', () => {
    const files = generateFileList({ seed: 'domains', fileCount: 3000, totalBytes: 1e6 });
    const domains = new Set(files.map((f) => f.domain));
    for (const d of ['HomeDomain', 'CameraRollDomain', 'MediaDomain', 'KeychainDomain']) expect(domains).toContain(d);
    expect([...domains].some((d) => d.startsWith('AppDomain-'))).toBe(true);
    expect(new Set(files.map((f) => f.fileID)).size).toBe(files.length);
    const f = files[42]!;
    expect(f.fileID).toBe(createHash('sha1').update(`${f.domain}-${f.relativePath}`).digest('hex'));
    expect(fileIdFor('HomeDomain', 'Library/SMS/sms.db')).toBe('3d0d7e5fb2ce288813306e4d4636395e047a3d28');
  });

  it('streams contents in bounded chunks and supports random access slices', async () => {
    const content = new GeneratedContent('seed', 'key', 64 * 1024);
    const chunks = [...content.chunks(1_000_000)];
    expect(chunks.every((c) => c.length <= 64 * 1024)).toBe(true);
    const whole = Buffer.concat(chunks);
    expect(whole).toHaveLength(1_000_000);
    expect(content.slice(123_457, 5000)).toEqual(whole.subarray(123_457, 128_457));
    expect(content.slice(0, 17)).toEqual(whole.subarray(0, 17));
  });

  it('hashes a 1 GiB file without holding it in memory', async () => {
    const fs = new VirtualFilesystem({ seed: 'big', fileCount: 1, totalBytes: 1024 ** 3 });
    const [file] = fs.files();
    const before = process.memoryUsage().rss;
    let peak = before;
    let count = 0;
    const hash = createHash('sha1');
    for await (const chunk of fs.read(file!.fileID)) {
      hash.update(chunk);
      count += chunk.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(count).toBe(1024 ** 3);
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
  }, 60_000);

  it('keeps written files that equal the generated content virtual, and stores the rest on disk', async () => {
    const fs = new VirtualFilesystem({ seed: 'write', fileCount: 20, totalBytes: 2_000_000 });
    const [first, second] = fs.files();
    const original = await fs.contentHash(first!.fileID);
    await fs.writeFile(first!.domain, first!.relativePath, fs.read(first!.fileID));
    expect(await fs.contentHash(first!.fileID)).toBe(original);

    await fs.writeFile(second!.domain, second!.relativePath, Buffer.from('changed'));
    expect(fs.get(second!.fileID)!.size).toBe(7);
    expect(await fs.contentHash(second!.fileID)).toBe(await hashChunks([Buffer.from('changed')]));
    await fs.dispose();
  });

  it('replaces the whole file set on a restore commit, diverging mid-file included', async () => {
    const fs = new VirtualFilesystem({ seed: 'replace', fileCount: 50, totalBytes: 5_000_000 });
    const files = fs.files();
    const expected = new Map<string, string>();
    const replacement = fs.beginReplace();
    for (const file of files.slice(0, 10)) {
      const writer = await replacement.addFile(file.domain, file.relativePath);
      const chunks: Buffer[] = [];
      for await (const chunk of fs.read(file.fileID)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      if (bytes.length > 10) bytes[bytes.length - 3]! ^= 0xff; // diverge late: the matching prefix must be copied
      expected.set(file.fileID, await hashChunks([bytes]));
      await writer.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      await writer.write(bytes.subarray(Math.floor(bytes.length / 2)));
      await writer.commit();
    }
    expect(fs.fileCount).toBe(50); // nothing changes before commit
    replacement.commit();
    expect(fs.fileCount).toBe(10);
    for (const [fileID, hash] of expected) expect(await fs.contentHash(fileID)).toBe(hash);
    await fs.dispose();
  });
});
