// Readiness probe of the database: one trivial query, bounded in time so a hung connection reads as down.
import { sql } from 'kysely';
import type { Db } from './schema';

export async function pingDatabase(db: Db, timeoutMs = 2_000): Promise<{ ok: true } | { ok: false; error: string }> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		await Promise.race([sql`select 1`.execute(db), timeout]);
		return { ok: true };
	} catch (err) {
		const e = err as NodeJS.ErrnoException;
		return { ok: false, error: e.code ?? e.message };
	} finally {
		clearTimeout(timer);
	}
}
