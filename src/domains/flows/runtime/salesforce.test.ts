import { afterEach, describe, expect, it } from 'vitest';
import { FetchHttpClient } from '../../../adapters/http/fetch-client.js';
import { systemClock } from '../../../kernel/clock.js';
import { escapeSoql, runSalesforceDataDip, SALESFORCE_API_VERSION, type SalesforceDataDipConfig, type SalesforceDeps } from './salesforce.js';
import { json, refusedUrl, startTestHttpServer, type ReceivedRequest, type TestHttpServer } from './test-http-server.js';

const QUERY_PATH = `/services/data/${SALESFORCE_API_VERSION}/query`;

const tokens: Record<string, string> = { 'sf-main': '00Dxx!token-123' };

const deps: SalesforceDeps = {
  http: new FetchHttpClient(),
  clock: systemClock,
  sleep: () => Promise.resolve(),
  resolveToken: (ref) => {
    const token = tokens[ref];
    return token === undefined ? Promise.reject(new Error(`no secret named ${ref}`)) : Promise.resolve(token);
  },
};

const config = (instanceUrl: string, soql: string, output: Record<string, string> = {}): SalesforceDataDipConfig => ({
  connection: { instance_url: instanceUrl, token_ref: 'sf-main' },
  soql,
  output,
});

const record = (id: string, fields: Record<string, unknown>) => ({
  attributes: { type: 'Contact', url: `/services/data/${SALESFORCE_API_VERSION}/sobjects/Contact/${id}` },
  Id: id,
  ...fields,
});

const queryOf = (request: ReceivedRequest | undefined): string | null => new URL(request?.url ?? '/', 'http://x').searchParams.get('q');

let server: TestHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('salesforce_data_dip at run time', () => {
  it('queries the REST query resource with the bearer token and maps fields of the first record, relationship fields included', async () => {
    server = await startTestHttpServer(() =>
      json(200, {
        totalSize: 2,
        done: true,
        records: [
          record('003A', {
            Name: 'Ana Lima',
            Phone: null,
            NumberOfEmployees__c: 12,
            Account: { attributes: { type: 'Account', url: '/x' }, Name: 'Acme', Owner: { attributes: { type: 'User', url: '/y' }, Email: 'owner@acme.test' } },
            ReportsTo: null,
          }),
          record('003B', { Name: 'Second', Account: null }),
        ],
      }),
    );
    const result = await runSalesforceDataDip(
      config(`${server.url}/`, "SELECT Id, Name, Phone, Account.Name, Account.Owner.Email FROM Contact WHERE Phone = '{{phone}}' LIMIT 1", {
        contact_id: 'Id',
        name: 'name',
        phone: 'Phone',
        employees: 'NumberOfEmployees__c',
        account: 'Account.Name',
        owner_email: 'Account.Owner.Email',
        manager: 'ReportsTo.Name',
        nothing: 'NoSuchField__c',
      }),
      { phone: '+14155550100' },
      deps,
    );

    expect(result.exit).toBe('found');
    expect(result.variables).toEqual({
      contact_id: '003A',
      name: 'Ana Lima',
      phone: '',
      employees: '12',
      account: 'Acme',
      owner_email: 'owner@acme.test',
    });
    expect(result.detail).toMatchObject({ status: 200, attempts: 1, total_size: 2 });
    const [received] = server.received;
    expect(received?.method).toBe('GET');
    expect(received?.url.split('?')[0]).toBe(QUERY_PATH);
    expect(received?.headers.authorization).toBe('Bearer 00Dxx!token-123');
    expect(queryOf(received)).toBe("SELECT Id, Name, Phone, Account.Name, Account.Owner.Email FROM Contact WHERE Phone = '+14155550100' LIMIT 1");
    expect(JSON.stringify(result.detail)).not.toContain('token-123');
  });

  it('leaves by not_found when totalSize is 0', async () => {
    server = await startTestHttpServer(() => json(200, { totalSize: 0, done: true, records: [] }));
    const result = await runSalesforceDataDip(config(server.url, 'SELECT Id FROM Contact', { id: 'Id' }), {}, deps);
    expect(result).toMatchObject({ exit: 'not_found', variables: {}, detail: { status: 200, total_size: 0 } });
  });

  it('leaves by error with the Salesforce error array on a 401, without retrying', async () => {
    server = await startTestHttpServer(() => json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]));
    const result = await runSalesforceDataDip(config(server.url, 'SELECT Id FROM Contact'), {}, deps);
    expect(result).toMatchObject({
      exit: 'error',
      variables: {},
      detail: { status: 401, attempts: 1, error: 'HTTP 401: INVALID_SESSION_ID: Session expired or invalid' },
    });
    expect(server.received).toHaveLength(1);
  });

  it('URL-encodes the rendered SOQL, with variable values escaped as SOQL string content', async () => {
    server = await startTestHttpServer(() => json(200, { totalSize: 0, done: true, records: [] }));
    const name = "O'Brien & Sons+1 100% #1 = ação\\";
    await runSalesforceDataDip(config(server.url, "SELECT Id FROM Account WHERE Name = '{{name}}' AND Type != 'x'"), { name }, deps);
    const rawUrl = server.received[0]?.url ?? '';
    // Nothing in the value can end the parameter, start a fragment, or turn into a space.
    expect(rawUrl).toMatch(/^[^ #'&+\\]*$/);
    expect(queryOf(server.received[0])).toBe("SELECT Id FROM Account WHERE Name = 'O\\'Brien & Sons+1 100% #1 = ação\\\\' AND Type != 'x'");
  });

  it('escapes quotes, backslashes and control characters for SOQL literals', () => {
    expect(escapeSoql(`a'b"c\\d\ne\rf\tg`)).toBe(`a\\'b\\"c\\\\d\\ne\\rf\\tg`);
  });

  it('leaves by error, without a request, when the token reference does not resolve', async () => {
    server = await startTestHttpServer(() => json(200, { totalSize: 0, done: true, records: [] }));
    const unknownRef = { ...config(server.url, 'SELECT Id FROM Contact'), connection: { instance_url: server.url, token_ref: 'unknown' } };
    const result = await runSalesforceDataDip(unknownRef, {}, deps);
    expect(result).toMatchObject({ exit: 'error', detail: { attempts: 0, error: 'token_ref "unknown" did not resolve: no secret named unknown' } });
    expect(server.received).toHaveLength(0);
  });

  it('retries a 503 and then finds the record', async () => {
    const unavailable = json(503, [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
    const found = json(200, { totalSize: 1, done: true, records: [record('003A', { Name: 'Ana' })] });
    server = await startTestHttpServer((_request, index) => (index === 0 ? unavailable : found));
    const result = await runSalesforceDataDip(config(server.url, 'SELECT Name FROM Contact', { name: 'Name' }), {}, deps);
    expect(result).toMatchObject({ exit: 'found', variables: { name: 'Ana' }, detail: { attempts: 2 } });
  });

  it('leaves by error on a 2xx that is not a query result, and when the org cannot be reached', async () => {
    server = await startTestHttpServer(() => ({ status: 200, body: '<html>login</html>' }));
    const odd = await runSalesforceDataDip(config(server.url, 'SELECT Id FROM Contact'), {}, deps);
    expect(odd).toMatchObject({ exit: 'error', detail: { status: 200, error: 'the response is not a query result' } });

    const unreachable = await runSalesforceDataDip(config(await refusedUrl(), 'SELECT Id FROM Contact'), {}, deps);
    expect(unreachable).toMatchObject({ exit: 'error', detail: { status: null, attempts: 3 } });
    expect(unreachable.detail.error).toMatch(/^network/);
  });
});
