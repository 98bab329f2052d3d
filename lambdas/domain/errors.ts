/**
 * Input the domain refuses: an invalid product, id, page size, page token or queued write. It
 * names what is wrong and nothing about transport: the product API tells the client (http.ts),
 * and the retry Lambda dead-letters the message it came from.
 */
export class ValidationError extends Error {
  override name = 'ValidationError';
}
