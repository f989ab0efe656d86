import { release } from "./generated";

export function greeting(name: string): string {
  return `hello, ${name}, from ${release}`;
}
