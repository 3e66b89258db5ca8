"""The basic component library: the types every app may use, whatever engines it enables.
Importing this package registers them."""

from runtime.components import account, content, media, navigation, shop_info  # noqa: F401
