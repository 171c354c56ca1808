// The root router: every router named in DESIGN §4.2. Routers with no procedures yet are filled by later steps.
import { router } from "./init";
import { catalogRouter } from "./routers/catalog";
import { computersRouter } from "./routers/computers";
import { deploymentsRouter } from "./routers/deployments";
import { enrollmentRouter } from "./routers/enrollment";
import { selfServiceRouter } from "./routers/self-service";
import { smartGroupsRouter } from "./routers/smart-groups";
import { systemRouter } from "./routers/system";

export const appRouter = router({
  computers: computersRouter,
  smartGroups: smartGroupsRouter,
  catalog: catalogRouter,
  deployments: deploymentsRouter,
  selfService: selfServiceRouter,
  enrollment: enrollmentRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
