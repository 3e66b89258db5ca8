"""The page document, the component registry, the H5 renderer and the consumer page API."""
