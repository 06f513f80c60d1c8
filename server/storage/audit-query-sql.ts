import type { AuditQuery } from './storage.js';

/**
 * The WHERE clauses of an audit query, shared by SQLite and PostgreSQL (`placeholder` gives
 * `?` or `$n`). Values are always parameters: a filter typed into the console is never SQL.
 */
export function auditWhere(query: AuditQuery, placeholder: (index: number) => string): { where: string[]; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    let text = clause;
    for (const value of values) {
      params.push(value);
      text = text.replace('¿', placeholder(params.length));
    }
    where.push(text);
  };
  if (query.subject !== undefined) add('subject = ¿', query.subject);
  if (query.kind !== undefined) add('kind = ¿', query.kind);
  if (query.result !== undefined) add('result = ¿', query.result);
  if (query.clientIp !== undefined) add('client_ip = ¿', query.clientIp);
  if (query.site !== undefined) add('site = ¿', query.site);
  if (query.since !== undefined) add('at >= ¿', query.since);
  if (query.until !== undefined) add('at < ¿', query.until);
  if (query.afterId !== undefined) add('id > ¿', query.afterId);
  if (query.cursor !== undefined) {
    const { at, id } = query.cursor;
    if (query.order === 'oldest') add('(at > ¿ OR (at = ¿ AND id > ¿))', at, at, id);
    else add('(at < ¿ OR (at = ¿ AND id < ¿))', at, at, id);
  }
  return { where, params };
}

export function auditOrder(query: AuditQuery): string {
  return query.order === 'oldest' ? 'ORDER BY at ASC, id ASC' : 'ORDER BY at DESC, id DESC';
}
