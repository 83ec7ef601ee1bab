import { randomBytes } from 'node:crypto';

// Ids sort by creation time (base36 ms + a per-process counter), so "ORDER BY id" keeps insertion order
// even for rows written in the same millisecond.
let lastMs = 0;
let counter = 0;

export function newId(prefix: string): string {
	const ms = Date.now();
	if (ms === lastMs) counter += 1;
	else {
		lastMs = ms;
		counter = 0;
	}
	const time = ms.toString(36).padStart(9, '0');
	const seq = (counter % 1679616).toString(36).padStart(4, '0');
	const rand = randomHex(10);
	return `${prefix}_${time}${seq}${rand}`;
}

// Random bytes drawn in blocks: one system call per 409 ids instead of one per id (ids are made on every write).
const BLOCK = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function randomHex(chars: number): string {
	const bytes = Math.ceil(chars / 2);
	if (offset + bytes > pool.length) {
		pool = randomBytes(BLOCK);
		offset = 0;
	}
	const hex = pool.toString('hex', offset, offset + bytes).slice(0, chars);
	offset += bytes;
	return hex;
}

export function nowIso(): string {
	return new Date().toISOString();
}
