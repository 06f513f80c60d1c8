import type { Entry } from 'ldapts';
import { isWithin, nameFromDn, normalizeDn } from './dn.js';
import { firstValue, readAllValues } from './entry-values.js';
import { anyOf, fillFilter } from './filter-template.js';
import type { LdapConnection } from './ldap-connection.js';
import type { LdapSettings } from './ldap-settings.js';

/** Groups followed at most, nested ones included; a directory with more is cut here (and logged). */
export const MAX_GROUPS = 10_000;
/** Member DNs asked for in one nested-group search, as one OR filter. */
const BATCH = 50;

interface Group {
  dn: string;
  name: string;
}

export interface ResolvedGroups {
  /** Group names, sorted, without duplicates. */
  names: string[];
  searches: number;
  /** The nested search stopped at max_depth or MAX_GROUPS. */
  truncated: boolean;
}

/**
 * The user's groups: from their member_of attribute, or by searching groups whose filter
 * matches them; then, when nested, the groups of those groups, level by level up to max_depth.
 * A group seen before is not followed again, so a cycle (A in B in A) ends.
 */
export async function resolveGroups(
  connection: LdapConnection,
  settings: Pick<LdapSettings, 'attributes' | 'groups' | 'timeoutMs'>,
  user: { entry: Entry; username: string },
): Promise<ResolvedGroups> {
  const { groups, attributes } = settings;
  const timeLimit = Math.max(1, Math.ceil(settings.timeoutMs / 1000));
  let searches = 0;
  const search = async (filter: ReturnType<typeof fillFilter>): Promise<Group[]> => {
    searches++;
    const { searchEntries } = await connection.search(groups.baseDn, { scope: 'sub', filter, attributes: [attributes.groupName], paged: { pageSize: 500 }, timeLimit });
    return searchEntries.flatMap((entry) => {
      const name = firstValue(entry, attributes.groupName) ?? nameFromDn(entry.dn, attributes.groupName);
      return name === undefined ? [] : [{ dn: entry.dn, name }];
    });
  };

  let direct: Group[];
  if (groups.lookup === 'member_of') {
    const dns = await readAllValues(connection, user.entry, attributes.memberOf, { timeLimitSeconds: timeLimit });
    // FreeIPA's memberOf also lists roles and HBAC rules: only entries under the groups base are groups.
    direct = dns
      .filter((dn) => isWithin(dn, groups.baseDn))
      .flatMap((dn) => {
        const name = nameFromDn(dn, attributes.groupName);
        return name === undefined ? [] : [{ dn, name }];
      });
  } else {
    direct = await search(fillFilter(groups.filter!, { dn: user.entry.dn, username: user.username }));
  }

  const seen = new Map<string, Group>();
  const add = (list: Group[]) => {
    const fresh: Group[] = [];
    for (const group of list) {
      const key = normalizeDn(group.dn) ?? group.dn;
      if (seen.has(key) || seen.size >= MAX_GROUPS) continue;
      seen.set(key, group);
      fresh.push(group);
    }
    return fresh;
  };
  let frontier = add(direct);
  let truncated = seen.size >= MAX_GROUPS;
  if (groups.nested && groups.filter) {
    for (let depth = 1; frontier.length > 0; depth++) {
      if (depth > groups.maxDepth || seen.size >= MAX_GROUPS) {
        truncated = true;
        break;
      }
      const next: Group[] = [];
      for (let i = 0; i < frontier.length; i += BATCH) {
        const batch = frontier.slice(i, i + BATCH).map((group) => fillFilter(groups.filter!, { dn: group.dn, username: user.username }));
        next.push(...add(await search(anyOf(batch))));
      }
      frontier = next;
    }
  }
  const names = [...new Set([...seen.values()].map((group) => cleanGroupName(group.name)).filter((name) => name !== ''))].sort();
  return { names, searches, truncated };
}

/** Control characters never reach a header or a rule; everything else is the directory's own name. */
function cleanGroupName(name: string): string {
  return name.replace(/\p{Cc}/gu, '').trim();
}
