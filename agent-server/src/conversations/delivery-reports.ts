// A channel's report on a message to the contact (delivered, or failed with its reason), on the message and the timeline.
import type { AppContext } from '../context';
import { addTimeline, getConversation, lockMessage, setMessageDelivery, type Message, type MessageDelivery } from '../store/conversations';
import { HttpError, notFound } from '../util/http-error';
import { nowIso } from '../util/ids';

export interface DeliveryReport {
	status: MessageDelivery['status'];
	/** Why the channel refused the message: required with `failed`, refused with `delivered`. */
	reason?: string;
}

export interface DeliveryReportResult {
	message: Message;
	/** False when the message already had this report (a retried report changes nothing). */
	recorded: boolean;
}

/**
 * Records the report on the message as stored in this transaction. The same report again changes nothing; a failed
 * message may be reported delivered later (a retry that got through); `delivered` is final. So a message has at most
 * two delivery entries on the timeline.
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

		const delivery: MessageDelivery = { status: report.status, reason, at: nowIso() };
		await setMessageDelivery(trx, workspaceId, messageId, delivery);
		await addTimeline(trx, workspaceId, conversationId, 'message.delivery', {
			messageId,
			status: delivery.status,
			...(reason ? { reason } : {}),
			channel: conversation.channel,
			...(earlier ? { previously: earlier.status } : {}),
		});
		return { message: { ...message, delivery }, recorded: true };
	});
}

function checkedReason(report: DeliveryReport): string | null {
	const reason = report.reason?.trim() || null;
	if (report.status === 'failed' && !reason) throw new HttpError(400, 'body/reason: a failed delivery needs the reason the channel gave');
	if (report.status === 'delivered' && reason) throw new HttpError(400, 'body/reason: only a failed delivery has a reason');
	return reason;
}
