// What a visitor's widget is sent: its own conversations with the widget's agent on the web channel, as the browser
// may see them (who spoke and what was said), plus typing and status. Nothing about workflows or the team's names.
import type { AppContext } from '../context';
import { getConversation, listMessagesAfter, type Message } from '../store/conversations';
import type { WidgetSession } from '../store/widgets';
import type { LiveClient, LiveStream } from './hub';

/** Messages a reconnecting widget missed, at most this many. */
const CATCH_UP_MESSAGES = 200;

const publicMessage = ({ id, role, text, createdAt }: Message) => ({ id, role, text, createdAt });

export function widgetStreamClient(ctx: AppContext, session: WidgetSession, lastEventId: string | undefined, reread: () => Promise<WidgetSession | undefined>): LiveClient {
	// The catch-up and a notice can both bring a message: it is sent once. Bounded like the stream itself.
	const sent = new Set<string>();
	const send = (stream: LiveStream, message: Message) => {
		if (sent.has(message.id)) return;
		if (sent.size >= CATCH_UP_MESSAGES * 2) sent.clear();
		sent.add(message.id);
		stream.send('message', publicMessage(message), message.id);
	};
	return {
		workspaceId: session.workspaceId,
		async start(stream) {
			// The session may have moved on to a newer conversation since the page loaded.
			const current = (await reread()) ?? session;
			const conversation = await getConversation(ctx.store.db, current.workspaceId, current.conversationId);
			for (const m of await listMessagesAfter(ctx.store.db, current.workspaceId, current.conversationId, lastEventId, CATCH_UP_MESSAGES)) send(stream, m);
			stream.send('status', { status: conversation?.status ?? 'ended' });
		},
		async onNotice({ notice, conversation, message }, stream) {
			const c = await conversation();
			if (!c || c.contactId !== session.contactId || c.agentId !== session.agentId || c.channel !== 'web') return;
			if (notice.k === 'message') {
				const stored = await message();
				if (stored) send(stream, stored);
			} else if (notice.k === 'typing') stream.send('typing', { who: notice.who, active: notice.on });
			else stream.send('status', { status: notice.status });
		},
		onReset(stream) {
			// Notices were missed: the widget reconnects with Last-Event-ID and catches up from the database.
			stream.close();
		},
	};
}
