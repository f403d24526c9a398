"""The API's wire shapes, each declared once as a pydantic model: validation, the OpenAPI
components, serialization and the field labels of the pages all come from them."""
