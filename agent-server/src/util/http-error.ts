// A 4xx the API answers in Fastify's error shape; services throw it, the error handler renders it.
export class HttpError extends Error {
	constructor(
		readonly statusCode: number,
		message: string,
	) {
		super(message);
		this.name = 'HttpError';
	}
}

export const notFound = (what: string, id: string) => new HttpError(404, `${what} ${id} not found`);
