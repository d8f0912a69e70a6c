/**
 * The media type of a Content-Type header, without parameters and lowercased: media types are
 * case-insensitive (RFC 9110 §8.3.1), so `Application/JSON; charset=utf-8` is `application/json`.
 * The gateway and every surface of the REST facade read it here, so they never disagree.
 */
export const mediaType = (contentType: string | null | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
