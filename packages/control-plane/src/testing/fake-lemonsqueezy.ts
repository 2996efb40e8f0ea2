import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A checkout request as the fake API received it. */
export interface RecordedCheckout {
  id: string;
  authorization: string | null;
  contentType: string | null;
  /** the JSON:API body the SDK sent */
  body: {
    data: {
      type: string;
      attributes: {
        custom_price?: number;
        product_options?: { name?: string; redirect_url?: string; enabled_variants?: number[] };
        checkout_data?: { email?: string; custom?: Record<string, unknown> };
        test_mode?: boolean;
      };
      relationships: {
        store: { data: { type: string; id: string } };
        variant: { data: { type: string; id: string } };
      };
    };
  };
}

/** The signed `order_created` / `order_refunded` payload Lemon Squeezy would send for a checkout. */
export function orderEvent(
  event: 'order_created' | 'order_refunded' | string,
  o: {
    orderId: string | number;
    custom?: Record<string, unknown> | null;
    total: number;
    status?: string;
    refundedAmount?: number;
    email?: string;
  },
) {
  return {
    meta: { event_name: event, test_mode: true, custom_data: o.custom ?? null, webhook_id: 'wh-test' },
    data: {
      type: 'orders',
      id: String(o.orderId),
      attributes: {
        store_id: 1,
        identifier: `ord-${o.orderId}`,
        order_number: Number(o.orderId),
        user_email: o.email ?? 'buyer@example.test',
        currency: 'USD',
        subtotal: o.total,
        total: o.total,
        status: o.status ?? (event === 'order_refunded' ? 'refunded' : 'paid'),
        refunded: event === 'order_refunded',
        refunded_amount: o.refundedAmount ?? (event === 'order_refunded' ? o.total : 0),
        test_mode: true,
        created_at: new Date().toISOString(),
      },
    },
  };
}

export function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface FakeLemonSqueezy {
  url: string;
  checkouts: RecordedCheckout[];
  /** where "Pay" on the hosted checkout page delivers the signed webhook */
  configure(o: { webhookUrl?: string; secret?: string; failCheckouts?: boolean }): void;
  /** delivers an `order_created` for a recorded checkout, as if the customer paid; returns the HTTP status */
  pay(checkoutId: string, orderId?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * A local stand-in for api.lemonsqueezy.com and its hosted checkout: records `POST /v1/checkouts`,
 * serves `/checkout/<id>` with a Pay button that sends the signed `order_created` webhook to the
 * configured URL and then redirects to the checkout's redirect URL.
 */
export async function startFakeLemonSqueezy(): Promise<FakeLemonSqueezy> {
  const checkouts: RecordedCheckout[] = [];
  let webhookUrl = '';
  let secret = '';
  let failCheckouts = false;
  let nextOrder = 1000 + Math.floor(Math.random() * 1000);
  let base = '';

  async function pay(checkoutId: string, orderId = nextOrder++): Promise<number> {
    const c = checkouts.find((x) => x.id === checkoutId);
    if (!c) throw new Error(`no checkout ${checkoutId}`);
    const attrs = c.body.data.attributes;
    const body = JSON.stringify(
      orderEvent('order_created', {
        orderId,
        custom: attrs.checkout_data?.custom ?? null,
        total: attrs.custom_price ?? 0,
        email: attrs.checkout_data?.email,
      }),
    );
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-event-name': 'order_created',
        'x-signature': sign(secret, body),
      },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', base);
      if (req.method === 'POST' && url.pathname === '/v1/checkouts') {
        const text = await readBody(req);
        if (failCheckouts) {
          res.writeHead(422, { 'content-type': 'application/vnd.api+json' });
          res.end(JSON.stringify({ errors: [{ detail: 'failing on purpose' }] }));
          return;
        }
        const id = `chk-${checkouts.length + 1}-${Math.random().toString(36).slice(2, 8)}`;
        checkouts.push({
          id,
          authorization: req.headers.authorization ?? null,
          contentType: req.headers['content-type'] ?? null,
          body: JSON.parse(text),
        });
        res.writeHead(201, { 'content-type': 'application/vnd.api+json' });
        res.end(
          JSON.stringify({
            jsonapi: { version: '1.0' },
            data: { type: 'checkouts', id, attributes: { url: `${base}/checkout/${id}`, test_mode: true } },
          }),
        );
        return;
      }
      const page = /^\/checkout\/([\w-]+)(\/pay)?$/.exec(url.pathname);
      if (page) {
        const c = checkouts.find((x) => x.id === page[1]);
        if (!c) {
          res.writeHead(404).end('no such checkout');
          return;
        }
        if (req.method === 'POST' && page[2]) {
          await readBody(req);
          const status = await pay(c.id);
          const back = c.body.data.attributes.product_options?.redirect_url ?? '/';
          res.writeHead(303, { location: back, 'x-webhook-status': String(status) }).end();
          return;
        }
        const cents = c.body.data.attributes.custom_price ?? 0;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><title>Fake checkout</title><h1>Pay $${(cents / 100).toFixed(2)}</h1>` +
            `<form method="post" action="/checkout/${c.id}/pay"><button data-testid="fake-pay">Pay</button></form>`,
        );
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"detail":"not found"}]}');
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    checkouts,
    configure(o) {
      if (o.webhookUrl !== undefined) webhookUrl = o.webhookUrl;
      if (o.secret !== undefined) secret = o.secret;
      if (o.failCheckouts !== undefined) failCheckouts = o.failCheckouts;
    },
    pay,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
