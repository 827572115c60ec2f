// The .proto files travel inside the bundle as text (esbuild's text loader; a vitest plugin in
// tests), so loading them costs no file system access at start-up.
declare module '*.proto' {
  const text: string;
  export default text;
}
