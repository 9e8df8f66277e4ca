"""The assiduity rate (taux d'assiduité, EP 40 art. 15) in the web app: computations of a
region's rates on its imported tables, and the pages that show them (docs/assiduity-web.md)."""
