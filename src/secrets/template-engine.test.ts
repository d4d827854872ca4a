import { randomBytes, X509Certificate } from 'node:crypto';
import { SecretTemplateError } from './errors.js';
import { parseCertificates } from './pem.js';
import { makeChain } from './test-pki.js';
import {
  checkTemplateSyntax,
  MAX_TEMPLATE_LENGTH,
  RENDER_BUDGET_MS,
  RENDER_MEMORY_BUDGET,
  RenderBudget,
  RenderCache,
  TemplateRenderer,
} from './template-engine.js';

const password = randomBytes(12).toString('hex');
const user = `u${randomBytes(4).toString('hex')}`;
const binary = Buffer.from([0xff, 0xfe, 0x00, ...randomBytes(16)]);
const chain = makeChain();
const values = new Map<string, Buffer>([
  ['password', Buffer.from(password)],
  ['user', Buffer.from(user)],
  ['db-host', Buffer.from('db.internal')],
  ['tls.crt', Buffer.from(chain.intermediate.certPem + chain.leaf.certPem + chain.root.certPem)],
  ['bundle', Buffer.from(chain.leaf.keyPem + chain.leaf.certPem + chain.intermediate.certPem)],
  ['config', Buffer.from(JSON.stringify({ host: 'db', port: 5432, tags: ['a', 'b'] }))],
  ['keystore', binary],
  ['empty', Buffer.alloc(0)],
]);
// A fresh renderer per render, on a clock that does not move: these tests are about what renders,
// not about how busy the machine is (the time budget has its own tests, on a stepping clock).
const renderer = {
  renderText: (source: string, where: string) =>
    new TemplateRenderer(values, { budget: new RenderBudget({ now: () => 0 }), cache: null }).renderText(
      source,
      where,
    ),
  renderData: (source: string, where: string) =>
    new TemplateRenderer(values, { budget: new RenderBudget({ now: () => 0 }), cache: null }).renderData(
      source,
      where,
    ),
};
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
const fingerprints = (pem: string): string[] =>
  parseCertificates(pem, 'x').map((cert) => cert.fingerprint256);
const render = (source: string): string => renderer.renderText(source, 'target.template.data["k"]');
const renderError = (source: string): SecretTemplateError => {
  try {
    render(source);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretTemplateError);
    // No error of this engine ever carries a fetched value.
    expect((error as Error).message.includes(password)).toBe(false);
    return error as SecretTemplateError;
  }
  throw new Error(`rendered without error: ${source}`);
};

test('values by name, with or without the Go-template dot, and keys with dots or dashes', () => {
  expect(
    render('postgres://{{ .user }}:{{ .password }}@{{ db-host }}/app') ===
      `postgres://${user}:${password}@db.internal/app`,
  ).toBe(true);
  expect(render('{{ user }}')).toBe(user);
  expect(render('{{ ["db-host"] }}')).toBe('db.internal');
  expect(render('{{ ["tls.crt"] | pemLeaf }}')).toContain('BEGIN CERTIFICATE');
});

test('base64 and base64url helpers round-trip', () => {
  expect(render('{{ .password | b64enc }}') === Buffer.from(password).toString('base64')).toBe(true);
  expect(render('{{ .password | b64enc | b64dec }}') === password).toBe(true);
  expect(render('{{ .password | b64urlenc | b64urldec }}') === password).toBe(true);
  expect(render('{{ "aGk=" | base64_decode }}')).toBe('hi');
});

test('JSON helpers: fromJson reads fields, toJson quotes safely', () => {
  expect(render('{% assign c = config | fromJson %}{{ c.host }}:{{ c.port }} {{ c.tags | join: "," }}')).toBe(
    'db:5432 a,b',
  );
  expect(render('{"password":{{ .password | toJson }}}') === JSON.stringify({ password })).toBe(true);
  expect(render(`{{ 'say "hi"' | toJson }}`)).toBe('"say \\"hi\\""');
});

test('text helpers: lower, upper, trim, default, join', () => {
  expect(render('{{ "  MiXed " | trim | lower }}|{{ "x" | upper }}')).toBe('mixed|X');
  expect(render('{{ missing | default: "fallback" }}')).toBe('fallback');
  expect(render('{{ empty | default: "fallback" }}')).toBe('fallback');
  expect(render('{{ user | default: "fallback" }}')).toBe(user);
  expect(render('{{ "a,b,c" | split: "," | join: "+" }}')).toBe('a+b+c');
});

test('PEM helpers pick the leaf, the chain and the key', () => {
  expect(fingerprints(render('{{ bundle | pemLeaf }}'))).toEqual([fingerprint(chain.leaf.certPem)]);
  expect(fingerprints(render('{{ ["tls.crt"] | pemChain }}'))).toEqual([
    fingerprint(chain.intermediate.certPem),
    fingerprint(chain.root.certPem),
  ]);
  expect(render('{{ bundle | pemKey }}')).toMatch(
    /^-----BEGIN PRIVATE KEY-----\n[\s\S]*-----END PRIVATE KEY-----\n$/,
  );
  expect(renderError('{{ user | pemKey }}').message).toContain('pemKey: the input holds no private key');
  expect(renderError('{{ "-----BEGIN CERTIFICATE-----" | pemLeaf }}').message).toContain(
    'pemLeaf: malformed PEM',
  );
});

test('binary values pass through whole, encode with b64enc, and are refused as text', () => {
  expect(renderer.renderData('{{ .keystore }}', 'w').equals(binary)).toBe(true);
  expect(renderer.renderData('{{ keystore | b64enc | b64dec }}', 'w').equals(binary)).toBe(true);
  expect(render('{{ keystore | b64enc }}')).toBe(binary.toString('base64'));
  const error = renderError('prefix {{ keystore }}');
  expect(error.message).toContain('key "keystore" is binary (not UTF-8)');
  expect(renderError('{{ keystore | upper }}').message).toContain('is binary');
  expect(renderError('{{ keystore | toJson }}').message).toContain('is binary');
  expect(renderError('{{ keystore | json }}').message).toContain('is binary');
});

test('errors name the template, the line and the column', () => {
  const error = renderError('line one\nline two {{ nope }}');
  expect(error.message).toBe('target.template.data["k"] line 2, column 13: undefined variable: nope');
  expect(error.line).toBe(2);
  expect(error.template).toBe('target.template.data["k"]');
  expect(renderError('{{ user | nofilter }}').message).toContain('undefined filter: nofilter');
  expect(renderError('{% if %}').message).toMatch(/^target\.template\.data\["k"\] line 1, column \d+: /);
  expect(renderError('{{ user ').message).toMatch(/line 1, column 1: output "{{ user " not closed/);
});

test('fromJson on invalid JSON does not echo the input', () => {
  expect(renderError('{{ password | fromJson }}').message).toBe(
    'target.template.data["k"] line 1, column 1: fromJson: the input is not valid JSON',
  );
});

describe('sandbox', () => {
  test.each([
    '{{ process.env.HOME }}',
    '{{ process }}',
    '{{ globalThis }}',
    '{{ require }}',
    '{{ constructor }}',
    '{{ ["constructor"] }}',
    '{{ __proto__ }}',
    '{{ toString }}',
    '{{ password.constructor }}',
    '{{ password.constructor.constructor }}',
    '{{ password.__proto__ }}',
    '{% assign c = config | fromJson %}{{ c.constructor }}',
    '{% assign c = config | fromJson %}{{ c.__proto__.polluted }}',
  ])('%s reaches nothing', (source) => {
    expect(renderError(source).message).toMatch(/undefined variable/);
  });

  test('prototype pollution through JSON stays inside the parsed value', () => {
    const hostile = new TemplateRenderer(new Map([['j', Buffer.from('{"__proto__": {"polluted": "yes"}}')]]));
    hostile.renderText('{% assign o = j | fromJson %}{{ o.__proto__.polluted }}', 'w');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test.each([
    ['{% include "/etc/passwd" %}', /tag "include" not found/],
    ['{% render "/etc/passwd" %}', /tag "render" not found/],
    ['{% layout "/etc/passwd" %}', /tag "layout" not found/],
    ['{% block x %}{% endblock %}', /tag "block" not found/],
  ])('%s cannot read files', (source, message) => {
    expect(renderError(source).message).toMatch(message);
  });

  test.each(['{{ "now" | date: "%Y" }}', '{{ "a,b" | split: "," | sample }}'])(
    '%s: no clock and no randomness (the content hash must be stable)',
    (source) => {
      expect(renderError(source).message).toMatch(/undefined filter/);
    },
  );

  test('runaway loops and allocations hit the limits', () => {
    expect(renderError('{% for i in (1..100000000) %}x{% endfor %}').message).toContain(
      'memory alloc limit exceeded',
    );
    expect(
      renderError(
        '{% assign s = "xxxxxxxxxxxxxxxx" %}{% for i in (1..30) %}{% assign s = s | append: s %}{% endfor %}',
      ).message,
    ).toMatch(/limit exceeded/);
  });

  test('an oversized template is refused before parsing', () => {
    expect(() => render('x'.repeat(MAX_TEMPLATE_LENGTH + 1))).toThrow(/longer than 1048576 characters/);
    expect(() => renderer.renderData(`{{ "${'x'.repeat(MAX_TEMPLATE_LENGTH)}" }}`, 'w')).toThrow(
      /longer than/,
    );
  });

  test('one template cannot change what another sees', () => {
    expect(render('{% assign password = "replaced" %}{{ password }}')).toBe('replaced');
    expect(render('{{ password }}') === password).toBe(true);
  });
});

describe('render budget: one per Secret build, shared by all its templates', () => {
  /** A clock that moves 1 ms each time the budget looks at it: a step of rendering costs 1 ms. */
  const steppingClock = () => {
    let now = 0;
    return { now: () => now++, reads: () => now };
  };
  const budgetError = (render: () => unknown): SecretTemplateError => {
    try {
      render();
    } catch (error) {
      expect(error).toBeInstanceOf(SecretTemplateError);
      return error as SecretTemplateError;
    }
    throw new Error('rendered within the budget');
  };

  test('a heavy loop is stopped when the time budget is spent, naming the template', () => {
    const clock = steppingClock();
    const budgeted = new TemplateRenderer(values, {
      budget: new RenderBudget({ now: clock.now }),
      cache: null,
    });
    const error = budgetError(() =>
      budgeted.renderText('{% for i in (1..100000) %}x{% endfor %}', 'target.template.data["heavy"]'),
    );
    expect(error.message).toMatch(
      new RegExp(
        `^target\\.template\\.data\\["heavy"\\].*: the templates of this Secret used up their render budget \\(${RENDER_BUDGET_MS} ms\\)`,
      ),
    );
    expect(error.template).toBe('target.template.data["heavy"]');
    // Stopped after about RENDER_BUDGET_MS steps of its 100,000 iterations.
    expect(clock.reads()).toBeLessThanOrEqual(RENDER_BUDGET_MS + 10);
  });

  test('the budget is shared: the template after the one that spent it is refused before it runs', () => {
    const clock = steppingClock();
    const budgeted = new TemplateRenderer(values, {
      budget: new RenderBudget({ now: clock.now }),
      cache: null,
    });
    const loop = (n: number) => `{% for i in (1..${n}) %}x{% endfor %}`;
    expect(budgeted.renderText(loop(20), 'first')).toHaveLength(20);
    expect(clock.reads()).toBeLessThan(RENDER_BUDGET_MS / 2);
    const error = budgetError(() => budgeted.renderText(loop(RENDER_BUDGET_MS), 'second'));
    expect(error.template).toBe('second');
    const spent = clock.reads();
    expect(budgetError(() => budgeted.renderData('{{ user }}', 'third')).template).toBe('third');
    expect(clock.reads() - spent).toBe(3); // start, the check, stop: not one render step
  });

  test('allocations are counted across the templates of one build', () => {
    const frozen = () => new RenderBudget({ now: () => 0 });
    const budgeted = new TemplateRenderer(values, { budget: frozen(), cache: null });
    const allocate = `{{ (1..${Math.floor(RENDER_MEMORY_BUDGET * 0.6)}) | size }}`;
    expect(budgeted.renderText(allocate, 'a')).toBe(String(Math.floor(RENDER_MEMORY_BUDGET * 0.6)));
    expect(budgetError(() => budgeted.renderText(allocate, 'b')).message).toMatch(
      /^b line 1, column 1: memory alloc limit exceeded/,
    );
    // A new build has a new budget.
    expect(new TemplateRenderer(values, { budget: frozen(), cache: null }).renderText(allocate, 'c')).toBe(
      String(Math.floor(RENDER_MEMORY_BUDGET * 0.6)),
    );
  });
});

describe('render cache: a refresh with the same values and templates renders nothing', () => {
  test('the same template over the same values is served from the cache, without spending budget', () => {
    const cache = new RenderCache();
    const first = new TemplateRenderer(values, { cache });
    expect(first.renderText('{{ user }}-{{ password }}', 'w') === `${user}-${password}`).toBe(true);
    expect(first.renderData('{{ keystore }}', 'w').equals(binary)).toBe(true);

    const clock = { now: () => 0, reads: 0 };
    const again = new TemplateRenderer(values, {
      cache,
      budget: new RenderBudget({ now: () => (clock.reads++, 0) }),
    });
    expect(again.renderText('{{ user }}-{{ password }}', 'w') === `${user}-${password}`).toBe(true);
    expect(again.renderData('{{ keystore }}', 'w').equals(binary)).toBe(true);
    expect(clock.reads).toBe(0);
    expect(cache.hits).toBe(2);
  });

  test('a changed value, template or render kind misses', () => {
    const cache = new RenderCache();
    new TemplateRenderer(values, { cache }).renderText('{{ user }}', 'w');
    const changed = new Map(values).set('user', Buffer.from('someone-else'));
    expect(new TemplateRenderer(changed, { cache }).renderText('{{ user }}', 'w')).toBe('someone-else');
    expect(new TemplateRenderer(values, { cache }).renderText('{{ user }}!', 'w')).toBe(`${user}!`);
    expect(new TemplateRenderer(values, { cache }).renderData('{{ user }}', 'w').toString()).toBe(user);
    expect(cache.hits).toBe(0);
  });

  test('it holds at most its byte limit, dropping the least recently used', () => {
    const cache = new RenderCache({ maxBytes: 1_000 });
    const big = (n: number) => `{{ "${String(n).repeat(300)}" }}`;
    const renderer = new TemplateRenderer(values, { cache });
    for (let n = 1; n <= 5; n++) renderer.renderText(big(n), 'w');
    expect(cache.bytes).toBeLessThanOrEqual(1_000);
    renderer.renderText(big(5), 'w');
    expect(cache.hits).toBe(1);
    renderer.renderText(big(1), 'w');
    expect(cache.hits).toBe(1);
  });
});

describe('checkTemplateSyntax (offline validation)', () => {
  test('a good template passes; syntax errors, removed tags and unknown filters are refused with the line', () => {
    expect(() =>
      checkTemplateSyntax('postgres://{{ .user }}:{{ .password | b64enc }}@db', 'w'),
    ).not.toThrow();
    expect(() => checkTemplateSyntax('{% if %}', 'target.template.data["x"]')).toThrow(
      /^target\.template\.data\["x"\] line 1, column \d+: /,
    );
    expect(() => checkTemplateSyntax('{% include "x" %}', 'w')).toThrow(SecretTemplateError);
    expect(() => checkTemplateSyntax('a\n{{ x | nosuchfilter }}', 'w')).toThrow(/^w line 2/);
  });
});
