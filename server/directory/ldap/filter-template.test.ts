import { AndFilter, EqualityFilter, ExtensibleFilter, NotFilter, OrFilter, SubstringFilter, type Filter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { compileFilterTemplate, escapeFilterValue, fillFilter, type FilterTemplate } from './filter-template.js';

/** The filter's structure without its values: what input must never change. */
function shape(filter: Filter): unknown {
  if (filter instanceof AndFilter || filter instanceof OrFilter) return [filter.constructor.name, filter.filters.map(shape)];
  if (filter instanceof NotFilter) return ['not', shape(filter.filter)];
  if (filter instanceof ExtensibleFilter) return ['ext', filter.matchType, filter.rule, filter.dnAttributes];
  if (filter instanceof SubstringFilter) return ['sub', filter.attribute, filter.any.length];
  return [filter.constructor.name, (filter as EqualityFilter).attribute];
}

/** Every assertion value in the filter, in order. */
function values(filter: Filter): unknown[] {
  if (filter instanceof AndFilter || filter instanceof OrFilter) return filter.filters.flatMap(values);
  if (filter instanceof NotFilter) return values(filter.filter);
  if (filter instanceof SubstringFilter) return [filter.initial, ...filter.any, filter.final];
  if (filter instanceof EqualityFilter || filter instanceof ExtensibleFilter) return [filter.value];
  return [];
}

function compile(text: string, allowed: Array<'username' | 'dn'> = ['username']): FilterTemplate {
  const result = compileFilterTemplate(text, { allowed, required: allowed });
  if (!result.ok) throw new Error(result.error);
  return result.template;
}

const HOSTILE = [
  '*',
  '*)(uid=*',
  'admin)(|(userPassword=*',
  'admin*',
  '\\',
  '\\2a',
  '\\5c\\2a',
  '\\x',
  '\0',
  'alice\0',
  '\0*',
  '(',
  ')',
  ')(',
  'x)(!(objectClass=*',
  '*)(&',
  '&',
  '|(uid=*)',
  '=',
  '~=x',
  '>=0',
  ':dn:=x',
  'uid=*',
  '%2a',
  '\uff0a',
  'é',
  'e\u0301',
  '陳柏宇',
  '😀',
  '\u202ealice',
  ' alice ',
  'a'.repeat(10_000),
  '*'.repeat(1_000),
];

describe('escapeFilterValue (RFC 4515)', () => {
  it.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    ['a*b(c)d\\e\0f', 'a\\2ab\\28c\\29d\\5ce\\00f'],
    ['é陳😀', 'é陳😀'],
    ['plain.name-1@corp', 'plain.name-1@corp'],
  ])('%j → %j', (raw, escaped) => expect(escapeFilterValue(raw)).toBe(escaped));
});

describe('fillFilter', () => {
  const users = compile('(&(objectClass=person)(|(uid={username})(mail={username})))');
  const benign = shape(fillFilter(users, { username: 'alice' }));

  it.each(HOSTILE.map((input) => [JSON.stringify(input).slice(0, 40), input]))('%s stays one value and changes no structure', (_label, input) => {
    const filter = fillFilter(users, { username: input });
    expect(shape(filter)).toEqual(benign);
    expect(values(filter)).toEqual(['person', input, input]);
  });

  it('keeps hostile input literal inside substring and in-chain filters too', () => {
    const substring = compile('(cn=*{username}*)');
    const chain = compile('(member:1.2.840.113556.1.4.1941:={dn})', ['dn']);
    for (const input of HOSTILE) {
      expect(values(fillFilter(substring, { username: input }))).toEqual(['', input, '']);
      const filter = fillFilter(chain, { dn: input });
      expect(shape(filter)).toEqual(['ext', 'member', '1.2.840.113556.1.4.1941', false]);
      expect(values(filter)).toEqual([input]);
    }
  });

  it('refuses to fill a placeholder it has no value for, rather than leave a wildcard', () => {
    expect(() => fillFilter(users, {})).toThrow(/no value for \{username\}/);
  });
});

describe('compileFilterTemplate', () => {
  it.each([
    ['(uid=alice)', /must contain \{username\}/],
    ['(uid={user})', /\{user\} is not a placeholder/],
    ['(member={dn})', /\{dn\} is not a placeholder/],
    ['(&(uid={username})', /not an LDAP filter|parentheses/],
    ['(uid={username}))', /not an LDAP filter/],
    ['uid={username}', /parentheses/],
    ['(uid={username})(cn=x)', /not an LDAP filter/],
    ['((uid={username})', /not an LDAP filter/],
  ])('refuses %j', (text, message) => {
    const result = compileFilterTemplate(text, { allowed: ['username'], required: ['username'] });
    expect(result.ok ? 'accepted' : result.error).toMatch(message);
  });

  it("accepts the presets' kinds of filter", () => {
    for (const text of [
      '(&(sAMAccountType=805306368)(|(sAMAccountName={username})(userPrincipalName={username})))',
      '(&(objectClass=inetOrgPerson)(uid={username})(!(pwdAccountLockedTime=*)))',
      '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))',
      '(|(member={dn})(memberUid={username}))',
    ]) {
      expect(compileFilterTemplate(text, { allowed: ['username', 'dn'], required: ['username', 'dn'] }).ok).toBe(true);
    }
  });
});
