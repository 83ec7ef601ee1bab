// Right to erasure and transcript retention, each recorded on the workspace's log (counts and ids, no contact data).
import type { AppContext } from '../context';
import { createPeriodic, type Periodic } from '../util/periodic';
import {
	addWorkspaceLog,
	deleteTranscriptsBefore,
	eraseContact,
	getTranscriptRetentionDays,
	setTranscriptRetentionDays,
	workspacesWithRetention,
	type ErasureCounts,
	type RetentionCounts,
} from '../store/erasure';
import { notFound } from '../util/http-error';

export async function eraseContactOverApi(ctx: AppContext, workspaceId: string, contactId: string, by: 'api' | 'workflow'): Promise<ErasureCounts> {
	return ctx.store.db.transaction().execute(async (trx) => {
		const counts = await eraseContact(trx, workspaceId, contactId);
		if (!counts) throw notFound('contact', contactId);
		await addWorkspaceLog(trx, workspaceId, 'contact.erased', { contactId, by, ...counts });
		return counts;
	});
}

export const retentionOf = (ctx: AppContext, workspaceId: string) => getTranscriptRetentionDays(ctx.store.db, workspaceId);

export async function setRetention(ctx: AppContext, workspaceId: string, days: number | null): Promise<void> {
	await ctx.store.db.transaction().execute(async (trx) => {
		await setTranscriptRetentionDays(trx, workspaceId, days);
		await addWorkspaceLog(trx, workspaceId, 'retention.changed', { transcriptDays: days });
	});
}

/** Applies every workspace's retention once; a workspace with something removed gets a log entry. */
export async function applyRetention(ctx: AppContext, now = new Date()): Promise<Array<{ workspaceId: string } & RetentionCounts>> {
	const applied: Array<{ workspaceId: string } & RetentionCounts> = [];
	for (const { id, days } of await workspacesWithRetention(ctx.store.db)) {
		const before = new Date(now.getTime() - days * 86_400_000).toISOString();
		const counts = await ctx.store.db.transaction().execute(async (trx) => {
			const removed = await deleteTranscriptsBefore(trx, id, before);
			if (removed.messages + removed.events > 0) await addWorkspaceLog(trx, id, 'retention.applied', { before, ...removed });
			return removed;
		});
		applied.push({ workspaceId: id, ...counts });
	}
	return applied;
}

/** Runs applyRetention every intervalMs (0: never). */
export function createRetentionSweeper(ctx: AppContext, intervalMs: number, onError: (err: unknown) => void): Periodic {
	return createPeriodic(() => applyRetention(ctx), intervalMs, onError);
}
