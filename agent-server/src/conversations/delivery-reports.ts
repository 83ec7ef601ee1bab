// A channel's report on a message to the contact (delivered, sent again after a refusal that will pass, or failed with
// its reason), on the message and the timeline.
import type { AppContext } from '../context';
import { refusalOutcome, type Refusal } from '../engine/channel-refusals';
import { addTimeline, getConversation, lockMessage, setMessageDelivery, type Message, type MessageDelivery } from '../store/conversations';
import type { Queryable } from '../store/schema';
import { publishOutgoing } from './policies';
import { HttpError, notFound } from '../util/http-error';
import { nowIso } from '../util/ids';

export interface DeliveryReport {
	status: 'delivered' | 'failed';
	/** Why the channel refused the message: required with `failed`, refused with `delivered`. */
	reason?: string;
	/** The wait the channel asked for (a `Retry-After` the workflow read); otherwise read from the reason. */
	retryAfter?: number;
}

export interface DeliveryReportResult {
	message: Message;
	/** False when the message already had this report (a retried report changes nothing). */
	recorded: boolean;
}

/**
 * Records the report on the message as stored in this transaction. A refusal that will pass (refusalOutcome) leaves
 * the message `retrying` and publishes it again as `conversation.message.outgoing`, due when the channel asked; a final
 * one, or the last retry refused, leaves it `failed`. The same report again changes nothing, and so does a refusal
 * while a retry is still due (the report of an earlier send); `delivered` may follow `failed` (a resend that got
 * through) and is final.
 */
export async function reportDelivery(
	ctx: AppContext,
	workspaceId: string,
	conversationId: string,
	messageId: string,
	report: DeliveryReport,
): Promise<DeliveryReportResult> {
	const reason = checkedReason(report);
	return ctx.store.db.transaction().execute(async (trx) => {
		const conversation = await getConversation(trx, workspaceId, conversationId);
		if (!conversation) throw notFound('conversation', conversationId);
		const message = await lockMessage(trx, workspaceId, conversationId, messageId);
		if (!message) throw notFound('message', messageId);
		if (message.role === 'contact') throw new HttpError(400, `message ${messageId} is the contact's; only messages to the contact have a delivery`);

		const earlier = message.delivery;
		if (earlier && earlier.status === report.status && earlier.reason === reason) return { message, recorded: false };
		if (earlier?.status === 'delivered') {
			throw new HttpError(409, `message ${messageId} was already reported delivered at ${earlier.at}; a delivered message stays delivered`);
		}
		if (earlier?.status === 'failed' && report.status === 'failed') {
			throw new HttpError(409, `message ${messageId} was already reported failed at ${earlier.at} (${earlier.reason}); only delivered may follow`);
		}
		if (report.status === 'failed' && earlier?.status === 'retrying' && Date.parse(earlier.retryAt ?? '') > Date.now()) return { message, recorded: false };

		const retries = earlier?.retries ?? 0;
		const at = nowIso();
		const entry: Record<string, unknown> = { messageId, channel: conversation.channel, ...(earlier ? { previously: earlier.status } : {}) };
		let delivery: MessageDelivery = { status: 'delivered', reason: null, at, ...(retries ? { retries } : {}) };
		if (report.status === 'failed') {
			const refusal = await refusedFor(ctx, trx, workspaceId, conversationId, message, { reason: reason!, ...(report.retryAfter !== undefined ? { retryAfterSeconds: report.retryAfter } : {}) }, retries);
			delivery = { ...refusal.delivery, at };
			Object.assign(entry, refusal.detail);
		}
		await setMessageDelivery(trx, workspaceId, messageId, delivery);
		await addTimeline(trx, workspaceId, conversationId, 'message.delivery', {
			messageId,
			status: delivery.status,
			...(reason ? { reason } : {}),
			...entry,
			...(delivery.retries && delivery.status !== 'retrying' ? { retries: delivery.retries } : {}),
		});
		return { message: { ...message, delivery }, recorded: true };
	});
}

/** A refusal: sent again at the channel's time when it will pass and a workflow takes the message, otherwise final. */
async function refusedFor(
	ctx: AppContext,
	trx: Queryable,
	workspaceId: string,
	conversationId: string,
	message: Message,
	refusal: Refusal,
	retries: number,
): Promise<{ delivery: Omit<MessageDelivery, 'at'>; detail: Record<string, unknown> }> {
	const failed = (detail: Record<string, unknown> = {}) => ({ delivery: { status: 'failed' as const, reason: refusal.reason, ...(retries ? { retries } : {}) }, detail });
	const outcome = refusalOutcome(refusal, retries);
	if (!outcome.retry) return failed(outcome.why ? { notRetried: outcome.why } : {});
	const retryAt = new Date(Date.now() + outcome.waitSeconds * 1000);
	const published = await publishOutgoing(trx, ctx, workspaceId, conversationId, message, undefined, retryAt);
	if (!('outgoingEventId' in published)) return failed({ notRetried: `the message could not be published again: ${published.outgoingSuppressed}` });
	if (published.deliveries === 0) return failed({ notRetried: `no workflow subscribes to conversation.message.outgoing to send it again` });
	const retry = retries + 1;
	return {
		delivery: { status: 'retrying', reason: refusal.reason, retries: retry, retryAt: retryAt.toISOString() },
		detail: { retry, retryAt: retryAt.toISOString(), waitSeconds: outcome.waitSeconds, outgoingEventId: published.outgoingEventId },
	};
}

function checkedReason(report: DeliveryReport): string | null {
	const reason = report.reason?.trim() || null;
	if (report.status === 'failed' && !reason) throw new HttpError(400, 'body/reason: a failed delivery needs the reason the channel gave');
	if (report.status === 'delivered' && reason) throw new HttpError(400, 'body/reason: only a failed delivery has a reason');
	if (report.status === 'delivered' && report.retryAfter !== undefined) throw new HttpError(400, 'body/retryAfter: only a failed delivery has a retry time');
	return reason;
}
