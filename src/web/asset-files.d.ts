// The console's static files are imported as text (see assets.ts); these tell TypeScript so.

declare module "./assets/*.js" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.svg" {
  const text: string;
  export default text;
}
