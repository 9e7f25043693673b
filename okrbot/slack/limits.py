"""Slack's documented limits on what an app sends: the Block Kit builders stay inside
them, and the stand-in Slack (okrbot.sandbox) refuses what goes past them, as Slack does.
Characters are counted as Slack counts them, after escaping. No imports: anything may use it.
"""

# Blocks in one message (chat.postMessage, chat.update).
MESSAGE_BLOCKS_MAX = 50
# Blocks in a modal or a Home tab.
VIEW_BLOCKS_MAX = 100
# Characters of text all of a message's blocks hold together: Slack refuses about this
# many, without documenting what it counts exactly.
MESSAGE_BLOCKS_TEXT_MAX = 12_000
# A message's `text` argument (its notification, or the message itself without blocks).
MESSAGE_TEXT_MAX = 40_000

# Text objects and fields of blocks.
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
# An input block's label and hint, an image's alt text and title.
LABEL_MAX = 2000
# block_id, action_id, a view's callback_id and external_id.
ID_MAX = 255
URL_MAX = 3000

# Interactive elements.
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
PLACEHOLDER_MAX = 150
# Options of a select menu (also of each group, and groups of one).
SELECT_OPTIONS_MAX = 100
# Options of checkboxes and radio buttons.
CHOICES_MAX = 10
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
# A plain-text input's max_length and min_length.
INPUT_LENGTH_MAX = 3000

# Views.
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3000
