import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context';
import {
	addIdentity,
	addTags,
	contactIdentities,
	contactOrThrow,
	contactView,
	createContact,
	findContacts,
	mergeContacts,
	patchContact,
	removeTag,
	scoreContact,
} from '../contacts/service';
import type { StandardField } from '../store/contacts';
import { causationOf } from './causation';
import { HttpError } from '../util/http-error';
import { contactQuery, createContactBody, identityBody, idParams, mergeBody, patchContactBody, scoreBody, tagParams, tagsBody } from './schemas';

export const contactRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
	app.get('/contacts', { schema: { querystring: contactQuery } }, async (request) => {
		const { email, phone, channel, address } = request.query;
		if ((channel === undefined) !== (address === undefined)) throw new HttpError(400, 'querystring: give channel and address together');
		if (email === undefined && phone === undefined && channel === undefined) {
			throw new HttpError(400, 'querystring: give email or phone, or channel and address');
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

	app.get('/contacts/:id/identities', { schema: { params: idParams } }, async (request) => {
		return { data: await contactIdentities(ctx, request.workspaceId, request.params.id) };
	});

	app.post('/contacts/:id/identities', { schema: { params: idParams, body: identityBody } }, async (request, reply) => {
		const result = await addIdentity(ctx, request.workspaceId, request.params.id, request.body);
		return reply.status(result.created ? 201 : 200).send({ data: result.identities });
	});

	app.post('/contacts/:id/merge', { schema: { params: idParams, body: mergeBody } }, async (request) => {
		return mergeContacts(ctx, request.workspaceId, request.params.id, request.body.fromContactId);
	});

	app.post('/contacts/:id/score', { schema: { params: idParams, body: scoreBody } }, async (request) => {
		return scoreContact(ctx, request.workspaceId, request.params.id, request.body ?? {}, causationOf(request));
	});
};
