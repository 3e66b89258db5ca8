"""What every part of Tessera stands on: config, database and tenancy, ids, money, people and
permissions, jobs and events, storage, errors and i18n. Imports no other package of the project."""
