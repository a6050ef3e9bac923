// How circusctl prints a reply: the command's console text, `error: <reason>`, or the raw envelope
// as JSON (Python `json.dumps` spacing; `--prettify`: indent 2, sorted keys, coloured on a TTY).

import type { Command, Json, JsonObject, Reply } from "../../protocol/command.ts";
import { circusJson } from "../../protocol/floats.ts";

/** Exit status of a server error reply (also with --json: Circus exits 0 there, we do not). */
export const EXIT_ERROR_REPLY = 3;

export const TIMEOUT_HINT = `
A time out usually happens in one of those cases:

#1 The Circus daemon could not be reached.
#2 The Circus daemon took too long to perform the operation

For #1, make sure you are hitting the right place
by checking your --endpoint option.

For #2, if you are not expecting a result to
come back, increase your timeout option value
(particularly with waiting switches)
`;

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: JsonObject = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k] as Json);
    return out;
  }
  return value;
}

const COLOURS = {
  key: "\x1b[34;01m",
  string: "\x1b[33m",
  number: "\x1b[36m",
  literal: "\x1b[32m",
  reset: "\x1b[39;49;00m",
};

function colourise(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g,
    (_match, str, colon, num, lit) => {
      if (str !== undefined) return `${colon ? COLOURS.key : COLOURS.string}${str}${COLOURS.reset}${colon ?? ""}`;
      if (num !== undefined) return `${COLOURS.number}${num}${COLOURS.reset}`;
      return `${COLOURS.literal}${lit}${COLOURS.reset}`;
    },
  );
}

/** The `--json` rendering of a reply; `prettify` indents and sorts, `colour` highlights. */
export function renderJson(reply: Reply, prettify: boolean, colour = false): string {
  // circusctl prints json.dumps(reply): floats keep their `.0`, as the daemon sent them.
  if (!prettify) return circusJson(reply);
  const text = JSON.stringify(sortKeys(reply), null, 2);
  return colour ? colourise(text) : text;
}

/** An error reply, as circusctl prints it. */
export function isErrorReply(reply: Reply): boolean {
  return reply.status === "error";
}

/** Console text for a reply: the command's format() for success, `error: <reason>` otherwise. */
export function renderText(cmd: Command, reply: Reply, request: JsonObject, colour = false): string {
  if (isErrorReply(reply)) return `error: ${reply.reason ?? "unknown"}`;
  return cmd.format(reply, request, { colour });
}
