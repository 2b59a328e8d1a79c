const DEFAULT_PAGELEN = 10;
const MAX_PAGELEN = 100;

/** A page of a Bitbucket list */
export interface Page<T> {
  pagelen: number;
  size: number;
  page: number;
  values: T[];
  next?: string;
}

function positiveInteger(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text.trim())) {
    return undefined;
  }
  const value = Number(text);
  return value >= 1 ? value : undefined;
}

/**
 * Bitbucket's pagination: `pagelen` (default 10, clamped to 100) and 1-based
 * `page`; `next` is an absolute URL that keeps the other query parameters,
 * absent on the last page.
 */
export function paginate<T>(
  values: T[],
  query: URLSearchParams,
  selfUrl: string,
): Page<T> {
  const pagelen = Math.min(
    positiveInteger(query.get('pagelen')) ?? DEFAULT_PAGELEN,
    MAX_PAGELEN,
  );
  const page = positiveInteger(query.get('page')) ?? 1;
  const start = (page - 1) * pagelen;
  const result: Page<T> = {
    pagelen,
    size: values.length,
    page,
    values: values.slice(start, start + pagelen),
  };
  if (start + pagelen < values.length) {
    const nextQuery = new URLSearchParams(query);
    nextQuery.set('page', String(page + 1));
    result.next = `${selfUrl}?${nextQuery}`;
  }
  return result;
}
