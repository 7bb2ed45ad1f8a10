/** The operations console, built into the console function's bundle (scripts/esbuild-plugins.cjs). */
declare module 'virtual:console-assets' {
  export const html: string;
  export const script: string;
  export const stylesheet: string;
}
