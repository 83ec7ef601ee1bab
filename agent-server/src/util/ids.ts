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
	const rand = randomBytes(8).toString('hex').slice(0, 10);
	return `${prefix}_${time}${seq}${rand}`;
}

export function nowIso(): string {
	return new Date().toISOString();
}
