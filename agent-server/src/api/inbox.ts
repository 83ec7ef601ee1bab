// The console's inbox routes: the list, claim, internal notes, contact search and a contact's conversations.
// Replies, hand back (release) and end are the conversation routes the inspector already uses.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context';
import { addNote, claim, findContactsByText, inbox, pastConversations } from '../conversations/inbox';
import { CONTACT_SEARCH_MAX_RESULTS, INBOX_MAX_CONVERSATIONS, NOTE_MAX_CHARS } from '../limits';
import { HttpError } from '../util/http-error';
import { idParams, nonBlank } from './schemas';

const inboxQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(INBOX_MAX_CONVERSATIONS).optional() });
const claimBody = z.strictObject({ assignee: nonBlank(200).optional() }).nullish();
const noteBody = z.strictObject({ text: nonBlank(NOTE_MAX_CHARS), author: nonBlank(200).optional() });
const searchQuery = z.strictObject({ q: nonBlank(200), limit: z.coerce.number().int().min(1).max(CONTACT_SEARCH_MAX_RESULTS).optional() });
const pastQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional() });

export const inboxRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/inbox', { schema: { querystring: inboxQuery } }, async (request) => inbox(ctx, request.workspaceId, request.query.limit));

	// Logged in to the console, the person is who logged in; with an API key, the body names them.
	app.post('/conversations/:id/claim', { schema: { params: idParams, body: claimBody } }, async (request) => {
		const assignee = request.consoleUser ?? request.body?.assignee;
		if (!assignee) throw new HttpError(400, 'body/assignee: say who claims the conversation');
		return claim(ctx, request.workspaceId, request.params.id, assignee);
	});

	app.post('/conversations/:id/notes', { schema: { params: idParams, body: noteBody } }, async (request, reply) => {
		const author = request.consoleUser ?? request.body.author ?? 'api';
		return reply.status(201).send(await addNote(ctx, request.workspaceId, request.params.id, request.body.text, author));
	});

	app.get('/contacts/search', { schema: { querystring: searchQuery } }, async (request) => ({
		data: await findContactsByText(ctx, request.workspaceId, request.query.q, request.query.limit),
	}));

	app.get('/contacts/:id/conversations', { schema: { params: idParams, querystring: pastQuery } }, async (request) => ({
		data: await pastConversations(ctx, request.workspaceId, request.params.id, request.query.limit),
	}));
};
