/**
 * The product domain: what a valid product is, what a write carries, and the validation of what
 * comes in. Nothing here knows about AWS or HTTP; ordering.ts holds the rule that orders writes.
 */
// zod/mini: the same validator as zod, tree-shaken to ~15 KiB in the bundle instead of ~440 KiB.
import * as z from 'zod/mini';
import { ValidationError } from '#domain/errors';
import { limits } from '#domain/limits';

export interface Product {
  id: string;
  name: string;
  price: number;
  description: string;
}

/** One accepted write: the product plus what ordering and tracing need. This is also the queue message. */
export interface ProductWrite extends Product {
  /** Server-assigned time of acceptance, in ms since the epoch. */
  updatedAt: number;
  /** The API request that accepted the write; it breaks ties and follows the write into the queue. */
  requestId: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
// At most ten integer digits and two decimals: exact as a JavaScript number and as a DynamoDB N.
const PRICE_PATTERN = /^(0|[1-9]\d{0,9})(\.\d{1,2})?$/;
// C0 controls and DEL; descriptions may still hold tabs and line breaks.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARS_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/* eslint-enable no-control-regex */

const text = (max: number, forbidden: RegExp) =>
  z.string({ error: 'must be a string' }).check(
    z.maxLength(max, { error: `must be at most ${max} characters` }),
    z.refine((s) => s.isWellFormed(), { error: 'must be valid Unicode (no lone surrogates)' }),
    z.refine((s) => !forbidden.test(s), { error: 'must not contain control characters' }),
    // What a decoder writes for bytes it could not read (API Gateway does, in a body it takes as text): never product text.
    z.refine((s) => !s.includes('\ufffd'), { error: 'must not contain U+FFFD, the replacement character for bytes that were not valid UTF-8' }),
  );

export const productId = text(limits.maxIdLength, CONTROL_CHARS).check(
  z.minLength(1, { error: 'must not be empty', abort: true }),
  z.regex(ID_PATTERN, { error: 'must start with a letter or digit and use only letters, digits and . _ : -' }),
);

const written = (value: number | string) => (typeof value === 'number' ? String(value) : value.trim());

const price = z.pipe(
  z.union([z.number(), z.string()], { error: 'must be a number or a numeric string' }).check(
    z.refine((value) => PRICE_PATTERN.test(written(value)) && Number(written(value)) <= limits.maxPrice, {
      error: `must be an amount from 0 to ${limits.maxPrice} with at most two decimals`,
    }),
  ),
  z.transform((value) => Number(written(value))),
);

const productShape = {
  id: productId,
  name: text(limits.maxNameLength, CONTROL_CHARS).check(z.refine((s) => s.trim().length > 0, { error: 'must not be blank' })),
  price,
  description: text(limits.maxDescriptionLength, CONTROL_CHARS_EXCEPT_WHITESPACE),
};

const productSchema = z.strictObject(productShape, { error: 'must be a JSON object' });

const writeSchema = z.strictObject(
  {
    ...productShape,
    updatedAt: z.int({ error: 'must be a whole number' }).check(z.positive({ error: 'must be positive' })),
    requestId: z
      .string({ error: 'must be a string' })
      .check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(limits.maxIdLength, { error: 'is too long' })),
  },
  { error: 'must be a JSON object' },
);

/** One sentence naming every problem, field by field. */
function describe(error: z.core.$ZodError, input: unknown): string {
  const has = (key: PropertyKey) => typeof input === 'object' && input !== null && Object.hasOwn(input, key);
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
      const [field] = issue.path;
      if (field === undefined) return `body: ${issue.message}`;
      if (issue.path.length === 1 && !has(field)) return `${String(field)}: is required`;
      return `${issue.path.join('.')}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates a parsed request body as a product, or throws a ValidationError naming every problem. */
export function parseProduct(input: unknown): Product {
  const result = productSchema.safeParse(input);
  if (!result.success) throw new ValidationError(`Invalid product: ${describe(result.error, input)}`);
  return result.data;
}

/** Validates a queue message; a message that fails here can never succeed. */
export function parseWrite(input: unknown): ProductWrite {
  const result = writeSchema.safeParse(input);
  if (!result.success) throw new ValidationError(`Invalid product write: ${describe(result.error, input)}`);
  return result.data;
}

export function parseProductId(input: unknown): string {
  const result = productId.safeParse(input);
  if (!result.success) throw new ValidationError(`Invalid id: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

// One spelling per page size: Number() would also read "0x10", "1e2", " 5" and "05".
const PAGE_SIZE_PATTERN = /^[1-9]\d*$/;

/** The page size of a list request: the default when absent, else a whole number within the bounds, in plain digits. */
export function parsePageSize(raw: string | undefined): number {
  if (raw === undefined) return limits.listDefaultLimit;
  if (!PAGE_SIZE_PATTERN.test(raw) || Number(raw) > limits.listMaxLimit) {
    const shown = raw.length > 20 ? `${raw.slice(0, 20)}…` : raw;
    throw new ValidationError(
      `Invalid limit "${shown}": must be a whole number from 1 to ${limits.listMaxLimit} in plain decimal digits (no sign, spaces, exponent or leading zeros)`,
    );
  }
  return Number(raw);
}
