/**
 * The disk side of OffloadedUploadWriter, run in a worker thread: it creates, writes and closes the uploaded files
 * while the main thread keeps reading the socket. Plain JavaScript in a string (the worker is started with
 * `eval: true`), so it needs no file of its own in the app's bundle; it uses nothing but Node's fs.
 *
 * It receives batches `{ seq, ops }` and answers each with `{ seq, stored, failures }` once every byte of the batch
 * is written (the main thread may then reuse the memory). Ops, in order:
 *   ['slab', index, SharedArrayBuffer]        memory the socket reads into, shared once
 *   ['begin', id, path]                        create a fresh file (O_EXCL; a name already there is unlinked first)
 *   ['write', id, slab, offset, length]        bytes from a shared slab
 *   ['copy', id, Uint8Array]                   bytes that were not in a shared slab
 *   ['end', id, keep]                          close; a file not kept is removed
 *   ['abandon']                                close every open file
 * After the first failure nothing more is written: later files are dropped, as the transfer fails anyway.
 */
export const UPLOAD_WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const CREATE_NEW = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
const FILE_MODE = 0o600;
const MAX_BUFFERS_PER_WRITE = 512;
const slabs = [];
const files = new Map();
let stopped = false;

function removeQuietly(path) {
  try { fs.rmSync(path, { force: true }); } catch {}
}

function fail(file, error, reply) {
  if (!stopped) reply.failures.push({ id: file.id, code: error.code || 'EIO', message: String(error.message), syscall: error.syscall });
  stopped = true;
  file.failed = true;
  file.pending = [];
  if (file.fd !== undefined) {
    try { fs.closeSync(file.fd); } catch {}
    file.fd = undefined;
  }
  removeQuietly(file.path);
}

function create(path) {
  try {
    return fs.openSync(path, CREATE_NEW, FILE_MODE);
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    fs.unlinkSync(path);
    return fs.openSync(path, CREATE_NEW, FILE_MODE);
  }
}

function flush(file, reply) {
  let rest = file.pending;
  file.pending = [];
  while (rest.length > 0 && !file.failed) {
    const chunk = rest.length > MAX_BUFFERS_PER_WRITE ? rest.slice(0, MAX_BUFFERS_PER_WRITE) : rest;
    let written;
    try {
      written = fs.writevSync(file.fd, chunk);
    } catch (error) {
      fail(file, error, reply);
      return;
    }
    const next = [];
    for (const view of chunk) {
      if (written >= view.length) written -= view.length;
      else {
        next.push(written > 0 ? view.subarray(written) : view);
        written = 0;
      }
    }
    rest = next.concat(rest.length > MAX_BUFFERS_PER_WRITE ? rest.slice(MAX_BUFFERS_PER_WRITE) : []);
  }
}

function handle(op, reply) {
  switch (op[0]) {
    case 'slab':
      slabs[op[1]] = new Uint8Array(op[2]);
      return;
    case 'begin': {
      const file = { id: op[1], path: op[2], fd: undefined, failed: stopped, pending: [] };
      files.set(file.id, file);
      if (file.failed) return;
      try { file.fd = create(file.path); } catch (error) { fail(file, error, reply); }
      return;
    }
    case 'write':
    case 'copy': {
      const file = files.get(op[1]);
      if (!file || file.failed) return;
      file.pending.push(op[0] === 'write' ? slabs[op[2]].subarray(op[3], op[3] + op[4]) : op[2]);
      return;
    }
    case 'end': {
      const file = files.get(op[1]);
      if (!file) return;
      files.delete(op[1]);
      if (!file.failed) flush(file, reply);
      if (file.failed) return;
      try {
        fs.closeSync(file.fd);
      } catch (error) {
        file.fd = undefined;
        fail(file, error, reply);
        return;
      }
      if (op[2]) reply.stored.push(file.id);
      else removeQuietly(file.path);
      return;
    }
    case 'abandon':
      stopped = true;
      for (const file of files.values()) {
        if (file.fd !== undefined) { try { fs.closeSync(file.fd); } catch {} }
      }
      files.clear();
      return;
  }
}

parentPort.on('message', (batch) => {
  const reply = { seq: batch.seq, stored: [], failures: [] };
  for (const op of batch.ops) handle(op, reply);
  // Every byte of the batch is in the page cache before the answer: the main thread reuses the memory after it.
  for (const file of files.values()) if (!file.failed && file.pending.length > 0) flush(file, reply);
  parentPort.postMessage(reply);
});
`;
