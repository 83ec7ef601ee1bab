// The parts of nlp.js the offline classifier uses (the packages ship no type declarations).
declare module '@nlpjs/neural' {
	export class NeuralNetwork {
		constructor(settings?: Record<string, unknown>);
		train(corpus: { input: Record<string, number>; output: Record<string, number> }[]): unknown;
		run(input: Record<string, number>): Record<string, number>;
	}
}
declare module '@nlpjs/lang-en-min' {
	export class StemmerEn {
		stemWord(word: string): string;
	}
}
declare module '@nlpjs/lang-es' {
	export class StemmerEs {
		stemWord(word: string): string;
	}
}
declare module '@nlpjs/lang-de' {
	export class StemmerDe {
		stemWord(word: string): string;
	}
}
