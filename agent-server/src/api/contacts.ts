import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import { addTags, contactOrThrow, contactView, createContact, findContacts, patchContact, removeTag, scoreContact } from '../contacts/service';
import type { StandardField } from '../store/contacts';
import { causationOf } from './causation';
import { HttpError } from '../util/http-error';
import { contactQuery, createContactBody, idParams, patchContactBody, scoreBody, tagParams, tagsBody } from './schemas';

export const contactRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/contacts', { schema: { querystring: contactQuery } }, async (request) => {
		if (request.query.email === undefined && request.query.phone === undefined) {
			throw new HttpError(400, 'querystring: give email or phone');
		}
		return { data: await findContacts(ctx, request.workspaceId, request.query) };
	});

	app.post('/contacts', { schema: { body: createContactBody } }, async (request, reply) => {
		const { customFields, tags, ...standard } = request.body;
		const contact = await createContact(ctx, request.workspaceId, { standard, custom: customFields ?? {}, tags: tags ?? [] }, causationOf(request));
		return reply.status(201).send(contactView(contact));
	});

	app.get('/contacts/:id', { schema: { params: idParams } }, async (request) => {
		return contactView(await contactOrThrow(ctx.store.db, request.workspaceId, request.params.id));
	});

	app.patch('/contacts/:id', { schema: { params: idParams, body: patchContactBody } }, async (request) => {
		const { customFields, ...standardInput } = request.body;
		const standard: Partial<Record<StandardField, string | null>> = {};
		for (const [key, value] of Object.entries(standardInput)) {
			if (value !== undefined) standard[key as StandardField] = value;
		}
		const contact = await patchContact(
			ctx,
			request.workspaceId,
			request.params.id,
			{ standard, custom: customFields ?? {} },
			causationOf(request),
		);
		return contactView(contact);
	});

	app.post('/contacts/:id/tags', { schema: { params: idParams, body: tagsBody } }, async (request) => {
		return contactView(await addTags(ctx, request.workspaceId, request.params.id, request.body.tags, causationOf(request)));
	});

	app.delete('/contacts/:id/tags/:tag', { schema: { params: tagParams } }, async (request) => {
		return contactView(await removeTag(ctx, request.workspaceId, request.params.id, request.params.tag, causationOf(request)));
	});

	app.post('/contacts/:id/score', { schema: { params: idParams, body: scoreBody } }, async (request) => {
		return scoreContact(ctx, request.workspaceId, request.params.id, request.body ?? {}, causationOf(request));
	});
};
