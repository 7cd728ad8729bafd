// What esbuild bundles besides TypeScript: style sheets imported for their side effect.
declare module '*.css';
