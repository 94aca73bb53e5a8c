/**
 * The CloudFront function that picks a rendition's format from the Accept header
 * (terraform/modules/cdn/format-router.js), run as CloudFront runs it: the deployers' code with
 * the RENDITIONS setting in place, one viewer-request event per request, and the Accept headers
 * real browsers send for images.
 */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as vm from "node:vm";

import { formatRouterCode } from "../lib/cdn";

type Request = { uri: string; headers: Record<string, { value: string }> };
type Handler = (event: { request: Request }) => Request;

function router(renditions: string): Handler {
  return vm.runInNewContext(`${formatRouterCode(renditions)}\nhandler;`) as Handler;
}

function route(handler: Handler, uri: string, accept?: string): string {
  const headers: Request["headers"] = accept === undefined ? {} : { accept: { value: accept } };
  return handler({ request: { uri, headers } }).uri;
}

/** What each client sends in `Accept` when it loads an `<img>`. */
const CLIENTS: Record<string, string | undefined> = {
  chrome: "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "safari 16":
    "image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "safari 17":
    "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "safari 15": "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5",
  firefox: "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "android 4.4 webview": "image/webp,*/*;q=0.8",
  curl: "*/*",
  "no accept header": undefined,
};

/** The extension each client gets, by the formats its rendition is written in. */
const EXPECTED: Record<string, Record<string, string>> = {
  "jpeg+webp+avif": {
    chrome: "avif",
    "safari 16": "avif",
    "safari 17": "avif",
    "safari 15": "webp",
    firefox: "avif",
    "android 4.4 webview": "webp",
    curl: "jpg",
    "no accept header": "jpg",
  },
  "jpeg+webp": {
    chrome: "webp",
    "safari 16": "webp",
    "safari 17": "webp",
    "safari 15": "webp",
    firefox: "webp",
    "android 4.4 webview": "webp",
    curl: "jpg",
    "no accept header": "jpg",
  },
  jpeg: Object.fromEntries(Object.keys(CLIENTS).map((client) => [client, "jpg"])),
  // No JPEG written: every client gets the one file there is.
  webp: Object.fromEntries(Object.keys(CLIENTS).map((client) => [client, "webp"])),
};

describe("format-router", () => {
  for (const [formats, expected] of Object.entries(EXPECTED)) {
    it(`serves a ${formats} rendition in the format each browser accepts`, () => {
      const handler = router(`card:400x300:q80:${formats}`);
      for (const [client, accept] of Object.entries(CLIENTS)) {
        assert.equal(
          route(handler, "/uploads/cat/card", accept),
          `/uploads/cat/card.${expected[client]}`,
          client,
        );
      }
    });
  }

  it("reads each rendition's formats from the RENDITIONS grammar", () => {
    const handler = router(
      "thumb:200x200:cover:q75:jpeg+webp, medium:800x800:webp,large:1600x1600:q80",
    );
    const chrome = CLIENTS.chrome;
    assert.equal(route(handler, "/a/b/photo/thumb", chrome), "/a/b/photo/thumb.webp");
    assert.equal(route(handler, "/a/b/photo/medium", CLIENTS.curl), "/a/b/photo/medium.webp");
    assert.equal(route(handler, "/a/b/photo/large", chrome), "/a/b/photo/large.jpg");
  });

  it("honours the weights a client gives, and a weight of 0 refuses a format", () => {
    const handler = router("card:400x300:jpeg+webp+avif");
    assert.equal(route(handler, "/s/card", "image/avif;q=0.5,image/webp;q=0.9"), "/s/card.webp");
    assert.equal(route(handler, "/s/card", "image/avif;q=0,image/webp;q=0"), "/s/card.jpg");
    assert.equal(route(handler, "/s/card", "IMAGE/WEBP ; Q=0.7"), "/s/card.webp");
    assert.equal(route(handler, "/s/card", "image/webp;q=abc"), "/s/card.jpg");
  });

  it("passes explicit files, unknown names and bare names through unchanged", () => {
    const handler = router("thumb:200x200:jpeg+webp");
    for (const uri of [
      "/s/thumb.jpg",
      "/s/thumb.webp",
      "/s/other",
      "/thumb",
      "/s/constructor",
      "/s/",
      "/",
    ]) {
      assert.equal(route(handler, uri, CLIENTS.chrome), uri);
    }
  });

  it("puts the setting in as a string literal, whatever characters it holds", () => {
    const code = formatRouterCode('a:1x1,"b":2x2</script>');
    assert.match(code, /var RENDITIONS = "a:1x1,\\"b\\":2x2<\/script>";/);
    assert.equal(route(router('thumb:10x10:webp,"x'), "/s/thumb"), "/s/thumb.webp");
  });
});
